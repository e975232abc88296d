using System.Buffers.Binary;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// <c>bpf_csum_diff</c> on every engine: fixed cases whose results Linux 6.18 returned (recorded on
/// this machine), and random ones against a reference written here: one ones'-complement sum of
/// the seed, the complements of the <c>from</c> words and the <c>to</c> words, folded to 16 bits.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ChecksumHelperTests(string engine)
{
    // Program memory: `from` at 0, `to` at 2048.
    private const int ToAt = 2048;

    private ulong CsumDiff(byte[] from, byte[] to, ulong seed, bool nullFrom = false, bool nullTo = false, int? toSize = null)
    {
        var memory = new byte[4096];
        from.CopyTo(memory, 0);
        to.CopyTo(memory, ToAt);
        return Run(engine, $"""
            mov %r3, %r1
            add %r3, {ToAt}
            {(nullFrom ? "mov %r1, 0" : "")}
            {(nullTo ? "mov %r3, 0" : "")}
            mov %r2, {from.Length}
            mov %r4, {toSize ?? to.Length}
            lddw %r5, {seed}
            call 28
            exit
            """, memory);
    }

    private static ushort Reference(byte[] from, byte[] to, ulong seed)
    {
        ulong sum = (uint)seed;
        foreach (uint word in Words(from))
            sum += ~word;
        foreach (uint word in Words(to))
            sum += word;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    private static IEnumerable<uint> Words(byte[] data)
    {
        var padded = new byte[(data.Length + 3) & ~3];
        data.CopyTo(padded, 0);
        for (int i = 0; i < padded.Length; i += 4)
            yield return BinaryPrimitives.ReadUInt32LittleEndian(padded.AsSpan(i));
    }

    private static byte[] Bytes(params byte[] bytes) => bytes;

    private static byte[] Fill(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    [Test]
    public void MatchesLinux()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CsumDiff(Bytes(1, 2, 3, 4), Bytes(5, 6, 7, 8), 0), Is.EqualTo(2056UL));
            Assert.That(CsumDiff(Bytes(1, 2, 3, 4), Bytes(1, 2, 3, 4), 0), Is.EqualTo(65535UL), "equal data: ones' complement minus zero");
            Assert.That(CsumDiff([], [], 0), Is.Zero);
            Assert.That(CsumDiff([], [], 0x12345678), Is.EqualTo(26796UL), "no data: the seed folded");
            Assert.That(CsumDiff([], Bytes(0, 0, 0, 0), 0), Is.Zero);
            Assert.That(CsumDiff(Fill(0xFF, 4), [], 0), Is.Zero);
            Assert.That(CsumDiff([], Fill(0xFF, 4), 0), Is.EqualTo(65535UL));
            Assert.That(CsumDiff(Fill(1, 1024), Fill(2, 1024), 0), Is.EqualTo(514UL), "past the 512 bytes older kernels allowed");
            Assert.That(CsumDiff(Fill(1, 3), [], 0), Is.EqualTo(65277UL), "Linux 6.18 takes sizes that are not multiples of 4");
            Assert.That(CsumDiff([], Fill(1, 6), 0), Is.EqualTo(771UL));
        });
    }

    [Test]
    public void NullPointersWithZeroSizesAreFine()
    {
        Assert.That(CsumDiff([], Bytes(1, 0, 0, 0), 0, nullFrom: true), Is.EqualTo(1UL));
    }

    [Test]
    public void MatchesTheReferenceOnRandomData()
    {
        var random = new Random(28);
        int[] sizes = [0, 4, 8, 12, 20, 40, 64, 256, 512, 1020];
        for (int i = 0; i < 40; i++)
        {
            var from = new byte[sizes[random.Next(sizes.Length)]];
            var to = new byte[sizes[random.Next(sizes.Length)]];
            random.NextBytes(from);
            random.NextBytes(to);
            ulong seed = random.Next(4) switch { 0 => 0, 1 => 0xFFFF_FFFF, 2 => (ulong)random.NextInt64(), _ => (uint)random.Next() };
            Assert.That(CsumDiff(from, to, seed), Is.EqualTo((ulong)Reference(from, to, seed)), $"from {from.Length} bytes, to {to.Length} bytes, seed 0x{seed:x}");
        }
    }

    [Test]
    public void IncrementalUpdateOfAnIpv4HeaderChecksum()
    {
        // The use csum_diff exists for: patch a field, fix the checksum from the difference alone.
        byte[] header = Convert.FromHexString("450000730000400040110000C0A80001C0A800C7");
        ushort Checksum(byte[] h)
        {
            uint sum = 0;
            for (int i = 0; i < h.Length; i += 2)
                sum += (uint)(h[i] << 8 | h[i + 1]);
            while (sum >> 16 != 0)
                sum = (sum & 0xFFFF) + (sum >> 16);
            return (ushort)~sum;
        }

        ushort original = Checksum(header);
        byte[] oldAddress = header[12..16];
        byte[] newAddress = Convert.FromHexString("0A000001");
        ulong difference = CsumDiff(oldAddress, newAddress, 0);

        newAddress.CopyTo(header, 12);
        ushort expected = Checksum(header);
        // csum_diff works on little-endian words: its result is the byte-swapped big-endian difference.
        uint sum = (ushort)~original + (uint)BinaryPrimitives.ReverseEndianness((ushort)difference);
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        Assert.That((ushort)~sum, Is.EqualTo(expected));
    }

    [Test]
    public void DataOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => CsumDiff(new byte[8], new byte[8], 0, toSize: 4096 - ToAt + 4));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }
}
