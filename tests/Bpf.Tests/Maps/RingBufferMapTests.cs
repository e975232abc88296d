using System.Runtime.InteropServices;
using Bpf.Maps;

namespace Bpf.Tests.Maps;

/// <summary>
/// The ring buffer itself, driven from the host: creation checks, the record layout and positions
/// (expected values observed on Linux 6.18 with the same operations), ordering, room, and consumption.
/// </summary>
public sealed unsafe class RingBufferMapTests
{
    internal static RingBufferMap Ring(int size = 4096) =>
        new(new BpfMapDefinition { Name = "events", Type = BpfMapType.Ringbuf, MaxEntries = size });

    [TestCase(4096)]
    [TestCase(8192)]
    [TestCase(1 << 20)]
    public void PowerOfTwoPageMultiplesAreValidSizes(int size)
    {
        using var ring = Ring(size);
        Assert.That(ring.DataSize, Is.EqualTo(size));
    }

    [TestCase(0)]
    [TestCase(2048)]
    [TestCase(4096 * 3)]
    [TestCase(-4096)]
    public void OtherSizesAreRejected(int size) =>
        Assert.Throws<ArgumentException>(() => Ring(size));

    [Test]
    public void KeysValuesAndMostFlagsAreRejectedAsByLinux()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => new RingBufferMap(new BpfMapDefinition { Name = "r", Type = BpfMapType.Ringbuf, KeySize = 4, MaxEntries = 4096 }));
            Assert.Throws<ArgumentException>(() => new RingBufferMap(new BpfMapDefinition { Name = "r", Type = BpfMapType.Ringbuf, ValueSize = 4, MaxEntries = 4096 }));
            Assert.Throws<ArgumentException>(() => new RingBufferMap(new BpfMapDefinition { Name = "r", Type = BpfMapType.Ringbuf, MaxEntries = 4096, Flags = BpfMapFlags.Mmapable }));
        });
        using var numa = new RingBufferMap(new BpfMapDefinition { Name = "r", Type = BpfMapType.Ringbuf, MaxEntries = 4096, Flags = BpfMapFlags.NumaNode });
        Assert.That(numa.Flags, Is.EqualTo(BpfMapFlags.NumaNode), "BPF_F_NUMA_NODE is the one flag Linux accepts");
    }

    [Test]
    public void TheFactoryMakesRingBuffers()
    {
        using var map = MapFactory.Create(new BpfMapDefinition { Name = "events", Type = BpfMapType.Ringbuf, MaxEntries = 8192 });
        Assert.That(map, Is.InstanceOf<RingBufferMap>());
    }

    [Test]
    public void HeadersAndPositionsAreTheKernels()
    {
        // On Linux 6.18: output 5 bytes, reserve 20 and submit, reserve 3 and discard gives these
        // headers (length with flags, page offset) at positions 0, 16 and 48, and producer position 64.
        using var ring = Ring();
        Assert.That(ring.Output([0x11, 0x22, 0x33, 0x44, 0], 0), Is.Zero);
        nint second = ring.Reserve(20);
        *(uint*)second = 0x55;
        ring.Commit(second, discard: false, 0);
        ring.Commit(ring.Reserve(3), discard: true, 0);

        Assert.Multiple(() =>
        {
            Assert.That(ring.HeaderAt(0), Is.EqualTo(Header(5, 3)));
            Assert.That(ring.HeaderAt(16), Is.EqualTo(Header(20, 3)));
            Assert.That(ring.HeaderAt(48), Is.EqualTo(Header(0x4000_0003, 3)));
            Assert.That(ring.ProducerPosition, Is.EqualTo(64UL));
            Assert.That(ring.ConsumerPosition, Is.Zero);
            Assert.That(ring.AvailableData, Is.EqualTo(64UL));
            Assert.That((ulong)second, Is.EqualTo((ulong)ring.DataAddress + 16 + 8), "the data follows its header");
        });
    }

    [Test]
    public void PageOffsetsCountFromTheFirstDataPage()
    {
        // On Linux 6.18, 4000-byte records in a 16 KiB ring, each consumed before the next, sit at these
        // positions with these page offsets (the last one wrapped to the first page).
        using var ring = Ring(16384);
        var expected = new (ulong Position, uint PageOffset)[] { (0, 3), (4008, 3), (8016, 4), (12024, 5), (16032, 6), (20040, 3) };
        foreach (var (position, pageOffset) in expected)
        {
            Assert.That(ring.ProducerPosition, Is.EqualTo(position));
            ring.Commit(ring.Reserve(4000), discard: false, 0);
            Assert.That(ring.HeaderAt(position), Is.EqualTo(Header(4000, pageOffset)), $"position {position}");
            Assert.That(ring.Consume(_ => { }), Is.EqualTo(1));
        }
    }

    [Test]
    public void AReservedRecordIsBusyAndInvisibleUntilCommitted()
    {
        using var ring = Ring();
        nint record = ring.Reserve(12);
        Assert.Multiple(() =>
        {
            Assert.That(ring.HeaderAt(0), Is.EqualTo(Header(12 | RingBufferLayout.BusyBit, 3)));
            Assert.That(ring.TryRead(out _), Is.False);
            Assert.That(ring.AvailableData, Is.EqualTo(24UL), "reserved bytes count as available data, as in Linux");
        });
        new Span<byte>((void*)record, 12).Fill(7);
        ring.Commit(record, discard: false, 0);
        Assert.That(ring.TryRead(out var read), Is.True);
        Assert.That(read, Is.EqualTo(Enumerable.Repeat((byte)7, 12).ToArray()));
    }

    [Test]
    public void RecordsArriveInReservationOrderOnceTheEarlierOnesAreCommitted()
    {
        using var ring = Ring();
        nint first = ring.Reserve(1);
        nint second = ring.Reserve(1);
        nint third = ring.Reserve(1);
        *(byte*)first = 1;
        *(byte*)second = 2;
        *(byte*)third = 3;
        ring.Commit(third, discard: false, 0);
        ring.Commit(second, discard: true, 0);
        var seen = new List<byte>();
        Assert.That(ring.Consume(r => seen.Add(r[0])), Is.Zero, "the first record is still being written");
        ring.Commit(first, discard: false, 0);
        Assert.Multiple(() =>
        {
            Assert.That(ring.Consume(r => seen.Add(r[0])), Is.EqualTo(2));
            Assert.That(seen, Is.EqualTo(new byte[] { 1, 3 }), "the discarded record is skipped");
            Assert.That(ring.ConsumerPosition, Is.EqualTo(ring.ProducerPosition));
        });
    }

    [Test]
    public void AFullRingRefusesReservations()
    {
        using var ring = Ring();
        Assert.Multiple(() =>
        {
            Assert.That(ring.Reserve(4088), Is.EqualTo(nint.Zero), "4096 bytes with the header: as much as the whole ring, which Linux refuses");
            Assert.That(ring.Reserve(RingBufferLayout.MaxRecordSize + 1), Is.EqualTo(nint.Zero));
        });
        nint big = ring.Reserve(4080);
        Assert.That(big, Is.Not.EqualTo(nint.Zero), "4088 bytes with the header fit");
        Assert.Multiple(() =>
        {
            Assert.That(ring.Reserve(0), Is.EqualTo(nint.Zero), "a header more would fill the ring");
            Assert.That(ring.Output([1], 0), Is.EqualTo(-11L), "-EAGAIN");
        });
        ring.Commit(big, discard: false, 0);
        Assert.That(ring.Reserve(0), Is.EqualTo(nint.Zero), "committed is not consumed");
        Assert.That(ring.Consume(_ => { }), Is.EqualTo(1));
        Assert.That(ring.Reserve(100), Is.Not.EqualTo(nint.Zero), "consuming made room");
    }

    [Test]
    public void RecordsThatWrapAroundTheEndArriveWhole()
    {
        using var ring = Ring();
        var sent = new List<byte[]>();
        var received = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            var record = Enumerable.Range(0, 13 + i * 37 % 900).Select(b => (byte)(b * 7 + i)).ToArray();
            Assert.That(ring.Output(record, 0), Is.Zero, $"record {i}");
            sent.Add(record);
            if (i % 3 == 2)
                ring.Consume(r => received.Add(r.ToArray()));
        }

        ring.Consume(r => received.Add(r.ToArray()));
        Assert.Multiple(() =>
        {
            Assert.That(ring.ProducerPosition, Is.GreaterThan(10UL * 4096), "the ring wrapped many times");
            Assert.That(received, Is.EqualTo(sent));
        });
    }

    [Test]
    public void ConcurrentProducersGetDistinctRecordsInTheirOwnOrder()
    {
        const int Producers = 4;
        const int PerProducer = 30_000;
        using var ring = Ring(16384);
        var threads = Enumerable.Range(0, Producers).Select(id => new Thread(() =>
        {
            var record = new byte[8 + id * 4];
            BitConverter.TryWriteBytes(record, id);
            for (int sequence = 0; sequence < PerProducer; sequence++)
            {
                BitConverter.TryWriteBytes(record.AsSpan(4), sequence);
                while (ring.Output(record, 0) != 0)
                    Thread.Yield();
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();

        var next = new int[Producers];
        int wrong = 0;
        int received = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (received < Producers * PerProducer && DateTime.UtcNow < deadline)
        {
            if (ring.Consume(r =>
                {
                    int id = BitConverter.ToInt32(r);
                    if (id is < 0 or >= Producers || r.Length != 8 + id * 4 || BitConverter.ToInt32(r[4..]) != next[id]++)
                        wrong++;
                    received++;
                }) == 0)
            {
                Thread.Yield();
            }
        }

        foreach (var thread in threads)
            thread.Join(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.Zero);
            Assert.That(received, Is.EqualTo(Producers * PerProducer), "a lost or corrupted record stalls the consumer");
        });
    }

    [Test]
    public void CommittingAnythingButAnOutstandingReservationChangesNothing()
    {
        using var ring = Ring();
        nint record = ring.Reserve(32);
        Assert.Multiple(() =>
        {
            Assert.That(ring.Commit(record + 8, discard: false, 0), Is.EqualTo(-1L), "inside the record");
            Assert.That(ring.Commit(record - 8, discard: false, 0), Is.EqualTo(-1L), "its header");
            Assert.That(ring.Commit(record + 4096, discard: false, 0), Is.EqualTo(-1L), "past the data");
            Assert.That(ring.Commit(12345, discard: false, 0), Is.EqualTo(-1L), "not the ring's memory");
            Assert.That(ring.HeaderAt(0), Is.EqualTo(Header(32 | RingBufferLayout.BusyBit, 3)));
        });
        Assert.That(ring.Commit(record, discard: false, 0), Is.EqualTo(32L));
        Assert.That(ring.Commit(record, discard: true, 0), Is.EqualTo(-1L), "a second commit");
        Assert.That(ring.TryRead(out var read), Is.True);
        Assert.That(read, Has.Length.EqualTo(32));
    }

    [Test]
    public void QueryReportsTheKernelsFourValues()
    {
        using var ring = Ring(8192);
        ring.Output(new byte[10], 0);
        ring.Output(new byte[3], 0);
        ring.TryRead(out _);
        Assert.Multiple(() =>
        {
            Assert.That(ring.Query(RingBufferLayout.QueryAvailableData), Is.EqualTo(16UL));
            Assert.That(ring.Query(RingBufferLayout.QueryRingSize), Is.EqualTo(8192UL));
            Assert.That(ring.Query(RingBufferLayout.QueryConsumerPosition), Is.EqualTo(24UL));
            Assert.That(ring.Query(RingBufferLayout.QueryProducerPosition), Is.EqualTo(40UL));
            Assert.That(ring.Query(9), Is.Zero);
        });
    }

    [Test]
    public void AHandlerThatThrowsStillConsumesItsRecord()
    {
        using var ring = Ring();
        ring.Output([1], 0);
        ring.Output([2], 0);
        Assert.Throws<InvalidDataException>(() => ring.Consume(_ => throw new InvalidDataException()));
        Assert.That(ring.TryRead(out var next), Is.True);
        Assert.That(next, Is.EqualTo(new byte[] { 2 }));
    }

    [Test]
    public void AHandlerCannotConsumeTheSameRing()
    {
        using var ring = Ring();
        ring.Output([1], 0);
        Assert.Throws<InvalidOperationException>(() => ring.Consume(_ => ring.TryRead(out byte[] _)));
    }

    [Test]
    public void ConsumingADisposedRingThrows()
    {
        var ring = Ring();
        ring.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ring.TryRead(out _));
    }

    [Test]
    public void PollIntervalMustBePositive()
    {
        using var ring = Ring();
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.PollInterval = TimeSpan.Zero);
    }

    private static ulong Header(uint length, uint pageOffset) => length | ((ulong)pageOffset << 32);
}
