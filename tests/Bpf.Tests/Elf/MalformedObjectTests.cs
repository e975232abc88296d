using System.Buffers.Binary;
using Bpf.Elf;
using Bpf.Helpers;
using Bpf.Runtime;

namespace Bpf.Tests.Elf;

/// <summary>
/// Hostile and broken object files: truncated at any point, with bytes corrupted anywhere, with
/// sections overlapping or pointing outside the file, with huge counts. The loader must answer each
/// with a <see cref="BpfLoadException"/> (or load something valid), never another exception, a hang
/// or a huge allocation.
/// </summary>
public class MalformedObjectTests
{
    private static readonly string[] s_objects = ["subprograms", "globals", "legacy_maps", "core", "externs"];

    private static readonly LoadOptions s_options = new()
    {
        Kfuncs = KfuncRegistry.CreateDefault()
            .Register("memset", (_, _, _, _, _, _) => 0).Register("memcpy", (_, _, _, _, _, _) => 0)
            .Register("memmove", (_, _, _, _, _, _) => 0).Register("memcmp", (_, _, _, _, _, _) => 0),
    };

    private static byte[] Object(string name) => File.ReadAllBytes(RepositoryFiles.TestObject(name));

    /// <summary>Reads the bytes; true if they loaded, false if the loader refused them cleanly; any other exception fails the test.</summary>
    private static bool Loads(byte[] bytes, string what)
    {
        try
        {
            // The whole load: reading, linking, creating maps, validating each program's code.
            using var loaded = BpfObject.Load(bytes, "fuzz", s_options);
            return true;
        }
        catch (BpfLoadException e)
        {
            Assert.That(e.Message, Does.StartWith("ELF: "), what);
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of BpfLoadException: {e}");
            return false;
        }
    }

    [TestCaseSource(nameof(s_objects))]
    public void EveryTruncationIsRefusedCleanly(string name)
    {
        var bytes = Object(name);
        for (int length = 0; length < bytes.Length; length += length < 128 ? 1 : 7)
            Assert.That(Loads(bytes[..length], $"{name} truncated to {length} bytes"), Is.False, $"{name} truncated to {length} bytes loaded");
    }

    [TestCaseSource(nameof(s_objects))]
    public void RandomCorruptionNeverEscapesAsAnotherException(string name)
    {
        var original = Object(name);
        // A fixed seed per object (BPF_FUZZ_SEED varies it for a longer hunt), so a failure reproduces.
        int seed = name.Aggregate(int.TryParse(Environment.GetEnvironmentVariable("BPF_FUZZ_SEED"), out int s) ? s : 1234, (h, c) => h * 31 + c);
        var random = new Random(seed);
        for (int round = 0; round < 1500; round++)
        {
            var bytes = (byte[])original.Clone();
            int flips = random.Next(1, 6);
            for (int i = 0; i < flips; i++)
            {
                int at = random.Next(bytes.Length);
                bytes[at] = random.Next(3) switch { 0 => 0xff, 1 => 0, _ => (byte)random.Next(256) };
            }

            Loads(bytes, $"{name} round {round}");
        }
    }

    [Test]
    public void SectionHeaderFieldsPointingAnywhereAreRefused()
    {
        var original = Object("subprograms");
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(original.AsSpan(40));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan(60));
        // For every section: offset, size, link, info and entry size set to hostile values.
        foreach (var (field, width) in new[] { (24, 8), (32, 8), (40, 4), (44, 4), (56, 8) })
        {
            foreach (ulong value in new ulong[] { 0xffff_ffff, 0xffff_ffff_ffff_fff0, (ulong)original.Length, 1 })
            {
                for (int section = 1; section < count; section++)
                {
                    var bytes = (byte[])original.Clone();
                    var at = bytes.AsSpan((int)table + section * 64 + field);
                    if (width == 8)
                        BinaryPrimitives.WriteUInt64LittleEndian(at, value);
                    else
                        BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value);
                    Loads(bytes, $"section {section} field {field} = 0x{value:x}");
                }
            }
        }
    }

    [Test]
    public void OverlappingSectionsAreRefused()
    {
        var bytes = Object("subprograms");
        var elf = ElfFile.Parse(bytes);
        var text = elf.GetSection(".text");
        var license = elf.GetSection("license");
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        // Point the license section at the code.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)table + license.Index * 64 + 24), text.FileOffset);
        var error = Assert.Throws<BpfLoadException>(() => ElfFile.Parse(bytes));
        Assert.That(error!.Message, Does.Contain("overlaps"));
    }

    [Test]
    public void HugeCountsInBtfAreRefusedWithoutAllocating()
    {
        var bytes = Object("globals");
        var btf = ElfFile.Parse(bytes).GetSection(".BTF");
        // The type table length: claim 4 GiB.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)btf.FileOffset + 12), 0xffff_fff0);
        var error = Assert.Throws<BpfLoadException>(() => BpfObjectFile.Read(bytes, "huge", _ => false));
        Assert.That(error!.Message, Does.Contain(".BTF"));
    }

    [Test]
    public void NotARelocatableObjectIsRefused()
    {
        var bytes = Object("subprograms");
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 2); // ET_EXEC
        var error = Assert.Throws<BpfLoadException>(() => BpfObjectFile.Read(bytes, "exec", _ => false));
        Assert.That(error!.Message, Does.Contain("relocatable"));
    }

    [Test]
    public void AMapAskingForGigabytesIsRefused()
    {
        var bytes = Object("legacy_maps");
        var elf = ElfFile.Parse(bytes);
        var maps = elf.GetSection("maps");
        var counters = elf.FindSymbol("counters")!;
        // counters' max_entries (the fourth field): 2^30 values of 8 bytes.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)maps.FileOffset + (int)counters.Value + 12), 1u << 30);
        var error = Assert.Throws<BpfLoadException>(() => BpfObject.Load(bytes, "huge", s_options));
        Assert.That(error!.Message, Does.Contain("counters").And.Contain("MaxMapBytes"));
    }
}
