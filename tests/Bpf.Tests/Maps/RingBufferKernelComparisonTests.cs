using System.Runtime.InteropServices;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Kernel;
using Bpf.Tests.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Maps;

/// <summary>
/// samples/bpf/ringbuf_events.o run in the Linux kernel (loaded by libbpf, run by
/// <c>BPF_PROG_TEST_RUN</c>, its ring buffer read through mmap as libbpf reads it) and here, on every
/// engine, with the same packets: every record header (length, busy and discard bits, page offset),
/// every record's bytes but the timestamp, and the producer position must be the same. Skips with the
/// reason when the kernel cannot be used.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed unsafe partial class RingBufferKernelComparisonTests(string engineName)
{
    private const int RingSize = 4096 * 4; // the sample's max_entries

    [Test]
    public void RecordsAreLaidOutAsInTheKernel()
    {
        using var kernel = KernelObject.TryLoad(RepositoryFiles.SampleObject("ringbuf_events"), out string whyNot) ?? throw new IgnoreException(whyNot);
        using var ours = BpfObject.Load(RepositoryFiles.SampleObject("ringbuf_events"));
        var program = ours.Programs["report_packets"].Prepare(Engines.Get(engineName));
        var ring = (RingBufferMap)ours.Map("events");

        // Enough packets to wrap the 16 KiB ring once the first ones are consumed.
        var packets = Enumerable.Range(0, 900).Select(i => (i % 5) switch
        {
            0 or 3 => Packets.Ipv4To($"10.0.{i / 256}.{i % 256}", protocol: (byte)(i % 7), length: 40 + i % 60),
            1 => Packets.Ethernet(Packets.Arp, 42),
            2 => Packets.Ethernet(Packets.Ipv6, 80 + i % 9),
            _ => Packets.Ethernet((ushort)(0x1000 + i), 14),
        }).ToList();

        int fd = kernel.MapDescriptor("events");
        var consumer = (ulong*)Map(fd, 4096, ProtectionRead | ProtectionWrite, 0);
        var producerAndData = (byte*)Map(fd, 4096 + 2 * RingSize, ProtectionRead, 4096);
        try
        {
            var kernelRecords = new List<string>();
            var ourRecords = new List<string>();
            for (int i = 0; i < packets.Count; i++)
            {
                var (kernelResult, _) = kernel.TestRun("report_packets", packets[i]);
                var result = XdpContext.Run(program, packets[i]);
                Assert.That(result.ReturnValue, Is.EqualTo(kernelResult), $"packet {i}");

                if (i % 100 == 99)
                {
                    // Read both rings up to their producers, and consume: the records so far must agree.
                    ulong kernelProducer = Volatile.Read(ref *(ulong*)producerAndData);
                    kernelRecords.AddRange(Records(Volatile.Read(ref *consumer), kernelProducer, producerAndData + 4096));
                    Volatile.Write(ref *consumer, kernelProducer);
                    ourRecords.AddRange(Records(ring.ConsumerPosition, ring.ProducerPosition, (byte*)ring.DataAddress));
                    ring.Consume(_ => { });
                    Assert.That(ring.ProducerPosition, Is.EqualTo(kernelProducer), $"producer position after packet {i}");
                }
            }

            Assert.That(ourRecords, Is.EqualTo(kernelRecords));
            Assert.That(ring.ProducerPosition, Is.GreaterThan((ulong)RingSize), "the ring wrapped");
        }
        finally
        {
            munmap((nint)consumer, 4096);
            munmap((nint)producerAndData, 4096 + 2 * RingSize);
        }
    }

    /// <summary>Every record between two positions: position, header words and the bytes after the event's timestamp.</summary>
    private static IEnumerable<string> Records(ulong from, ulong to, byte* data)
    {
        var records = new List<string>();
        for (ulong position = from; position < to;)
        {
            byte* header = data + (position & (RingSize - 1));
            uint length = *(uint*)header;
            uint pageOffset = *(uint*)(header + 4);
            uint size = length & ~(RingBufferLayout.BusyBit | RingBufferLayout.DiscardBit);
            var bytes = new ReadOnlySpan<byte>(header + RingBufferLayout.HeaderSize, (int)size);
            records.Add($"{position}: {length:x8} {pageOffset} {Convert.ToHexString(bytes[Math.Min(8, bytes.Length)..])}");
            position += RingBufferLayout.RecordLength(size);
        }

        return records;
    }

    private const int ProtectionRead = 1;
    private const int ProtectionWrite = 2;
    private const int MapShared = 1;

    private static nint Map(int fd, long length, int protection, long offset)
    {
        nint address = mmap(0, (nuint)length, protection, MapShared, fd, (nint)offset);
        if (address == -1)
            throw new InvalidOperationException($"mmap of the kernel's ring buffer failed (errno {Marshal.GetLastPInvokeError()})");
        return address;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int descriptor, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);
}
