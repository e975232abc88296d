using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The ring buffer helpers (130-134) called by programs, on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class RingBufferHelperTests(string engine)
{
    private const ulong EAGAIN = unchecked((ulong)-11L);
    private const ulong EINVAL = unchecked((ulong)-22L);

    private BpfExecutable Prepare(string source, RingBufferMap ring, bool isChecked = true) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [ring]), ExecutionOptions.Default with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted });

    private ulong Run(string source, RingBufferMap ring, byte[]? memory = null, bool isChecked = true) =>
        Prepare(source, ring, isChecked).Run(memory ?? []);

    [TestCase(true)]
    [TestCase(false)]
    public void OutputCopiesTheProgramsBytes(bool isChecked)
    {
        using var ring = RingBufferMapTests.Ring();
        ulong result = Run("""
            lddw %r1, 0x0807060504030201
            stxdw [%r10-8], %r1
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -8
            mov %r3, 6
            mov %r4, 0
            call 130
            exit
            """, ring, isChecked: isChecked);
        Assert.That(result, Is.Zero);
        Assert.That(ring.TryRead(out var record), Is.True);
        Assert.That(record, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void OutputWithUnknownFlagsIsInvalidAndWithoutRoomAsksToTryAgain()
    {
        using var ring = RingBufferMapTests.Ring();
        const string Output = """
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -8
            mov %r3, 8
            ldxdw %r4, [%r6+0]
            call 130
            exit
            """;
        ulong Send(ulong flags) => Run("mov %r6, %r1\nstdw [%r10-8], 0\n" + Output, ring, BitConverter.GetBytes(flags));
        Assert.Multiple(() =>
        {
            Assert.That(Send(4), Is.EqualTo(EINVAL));
            Assert.That(Send(RingBufferLayout.NoWakeup | RingBufferLayout.ForceWakeup), Is.Zero, "both wake-up flags are accepted");
        });
        while (ring.AvailableData + 16 < (ulong)ring.DataSize)
            Assert.That(Send(0), Is.Zero);
        Assert.That(Send(0), Is.EqualTo(EAGAIN));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ReservedRecordsAreFilledInPlaceAndSubmitted(bool isChecked)
    {
        using var ring = RingBufferMapTests.Ring();
        ulong result = Run("""
            lddw %r1, map_idx(0)
            mov %r2, 12
            mov %r3, 0
            call 131
            jeq %r0, 0, full
            stdw [%r0+0], 0x11223344
            stw [%r0+8], 0x55
            mov %r1, %r0
            mov %r2, 0
            call 132
            mov %r0, 1
            exit
            full:
            mov %r0, 2
            exit
            """, ring, isChecked: isChecked);
        Assert.That(result, Is.EqualTo(1UL));
        Assert.That(ring.TryRead(out var record), Is.True);
        Assert.That(record, Is.EqualTo(new byte[] { 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, 0x55, 0, 0, 0 }));
    }

    [Test]
    public void DiscardedRecordsAreSkipped()
    {
        using var ring = RingBufferMapTests.Ring();
        ulong result = Run("""
            mov %r6, 0
            next:
            lddw %r1, map_idx(0)
            mov %r2, 8
            mov %r3, 0
            call 131
            jeq %r0, 0, out
            stxdw [%r0+0], %r6
            mov %r1, %r0
            mov %r2, 0
            mov %r3, %r6
            and %r3, 1
            jeq %r3, 0, keep
            call 133
            ja counted
            keep:
            call 132
            counted:
            add %r6, 1
            jlt %r6, 6, next
            out:
            mov %r0, %r6
            exit
            """, ring);
        var seen = new List<ulong>();
        ring.Consume(r => seen.Add(BitConverter.ToUInt64(r)));
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(6UL));
            Assert.That(seen, Is.EqualTo(new ulong[] { 0, 2, 4 }));
            Assert.That(ring.ConsumerPosition, Is.EqualTo(6UL * 16), "discarded records were consumed too");
        });
    }

    [Test]
    public void ReserveReturnsZeroWhenFullOrWithFlags()
    {
        using var ring = RingBufferMapTests.Ring();
        const string Reserve = """
            ldxdw %r2, [%r1+0]
            ldxdw %r3, [%r1+8]
            lddw %r1, map_idx(0)
            call 131
            jeq %r0, 0, out
            mov %r1, %r0
            mov %r2, 0
            call 132
            mov %r0, 1
            out:
            exit
            """;
        ulong Reserving(ulong size, ulong flags) => Run(Reserve, ring, [.. BitConverter.GetBytes(size), .. BitConverter.GetBytes(flags)]);
        Assert.Multiple(() =>
        {
            Assert.That(Reserving(8, 1), Is.Zero, "flags must be 0");
            Assert.That(Reserving(4088, 0), Is.Zero, "a record as large as the ring");
            Assert.That(Reserving(4000, 0), Is.EqualTo(1UL));
            Assert.That(Reserving(100, 0), Is.Zero, "the first record has not been consumed");
        });
        ring.Consume(_ => { });
        Assert.That(Reserving(100, 0), Is.EqualTo(1UL));
    }

    [Test]
    public void QueryGivesTheRingsNumbers()
    {
        using var ring = RingBufferMapTests.Ring(8192);
        ring.Output(new byte[20], 0);
        ring.Output(new byte[20], 0);
        ring.TryRead(out _);
        const string Query = """
            ldxdw %r2, [%r1+0]
            lddw %r1, map_idx(0)
            call 134
            exit
            """;
        ulong Asking(ulong what) => Run(Query, ring, BitConverter.GetBytes(what));
        Assert.Multiple(() =>
        {
            Assert.That(Asking(0), Is.EqualTo(32UL));
            Assert.That(Asking(1), Is.EqualTo(8192UL));
            Assert.That(Asking(2), Is.EqualTo(32UL));
            Assert.That(Asking(3), Is.EqualTo(64UL));
            Assert.That(Asking(4), Is.Zero);
        });
    }

    [Test]
    public void ANumberThatIsNotARingIsRefused()
    {
        using var ring = RingBufferMapTests.Ring();
        Assert.Multiple(() =>
        {
            Assert.That(Run("mov %r1, 5\nmov %r2, 8\nmov %r3, 0\ncall 131\nexit", ring), Is.Zero);
            Assert.That(Run("mov %r1, 5\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\nmov %r4, 0\ncall 130\nexit", ring), Is.EqualTo(EINVAL));
        });
    }

    [Test]
    public void SubmittingAPointerThatIsNotAReservationChangesNothing()
    {
        using var ring = RingBufferMapTests.Ring();
        ulong result = Run("""
            lddw %r1, map_idx(0)
            mov %r2, 16
            mov %r3, 0
            call 131
            mov %r6, %r0
            mov %r1, %r0
            add %r1, 8
            mov %r2, 0
            call 132
            mov %r1, %r10
            add %r1, -8
            mov %r2, 0
            call 133
            mov %r0, %r6
            exit
            """, ring);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Not.Zero);
            Assert.That(ring.HeaderAt(0) & RingBufferLayout.BusyBit, Is.Not.Zero, "the real record is still reserved");
            Assert.That(ring.TryRead(out _), Is.False);
        });
        ring.Commit((nint)result, discard: false, 0);
        Assert.That(ring.TryRead(out var record), Is.True);
        Assert.That(record, Has.Length.EqualTo(16));
    }

    [TestCase("stb [%r0-1], 1", TestName = "{m}(BeforeTheRecord)")]
    [TestCase("stb [%r0+12], 1", TestName = "{m}(PastTheRecord)")]
    [TestCase("stw [%r0-8], 12", TestName = "{m}(ItsHeader)")]
    public void CheckedModeLetsAProgramWriteOnlyItsReservation(string store)
    {
        using var ring = RingBufferMapTests.Ring();
        var error = Assert.Throws<BpfRuntimeException>(() => Run($"""
            lddw %r1, map_idx(0)
            mov %r2, 12
            mov %r3, 0
            call 131
            jeq %r0, 0, out
            {store}
            out:
            exit
            """, ring));
        Assert.That(error!.InstructionIndex, Is.EqualTo(6));
    }

    [Test]
    public void CheckedModeStopsWritesToARecordAfterItIsSubmitted()
    {
        using var ring = RingBufferMapTests.Ring();
        var error = Assert.Throws<BpfRuntimeException>(() => Run("""
            lddw %r1, map_idx(0)
            mov %r2, 8
            mov %r3, 0
            call 131
            jeq %r0, 0, out
            mov %r6, %r0
            stdw [%r6+0], 1
            mov %r1, %r6
            mov %r2, 0
            call 132
            stdw [%r6+0], 2
            out:
            exit
            """, ring));
        Assert.That(error!.InstructionIndex, Is.EqualTo(11));
        Assert.That(ring.TryRead(out var record), Is.True);
        Assert.That(BitConverter.ToUInt64(record), Is.EqualTo(1UL));
    }

    [Test]
    public void ManyProducersAtOnceLoseNothingAndKeepEachOnesOrder()
    {
        // Each producer outputs the first [%r1+8] bytes of its memory: producer, sequence, length, pattern.
        const int Producers = 4;
        const int PerProducer = 10000;
        using var ring = RingBufferMapTests.Ring(16384);
        var program = Prepare("""
            mov %r2, %r1
            ldxw %r3, [%r1+8]
            lddw %r1, map_idx(0)
            mov %r4, 0
            call 130
            exit
            """, ring);

        var producers = Enumerable.Range(0, Producers).Select(id => Task.Factory.StartNew(() =>
        {
            var memory = new byte[64];
            for (int sequence = 0; sequence < PerProducer; sequence++)
            {
                int length = 12 + sequence * 7 % 50;
                BitConverter.TryWriteBytes(memory.AsSpan(0), id);
                BitConverter.TryWriteBytes(memory.AsSpan(4), sequence);
                BitConverter.TryWriteBytes(memory.AsSpan(8), length);
                for (int i = 12; i < length; i++)
                    memory[i] = (byte)(id + sequence + i);
                ulong result;
                while ((result = program.Run(memory)) == EAGAIN)
                    Thread.Yield(); // full: let the consumer catch up
                if (result != 0)
                    throw new InvalidOperationException($"producer {id} record {sequence}: {result}");
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = new int[Producers];
        var errors = new List<string>();
        int received = 0;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (received < Producers * PerProducer && DateTime.UtcNow < deadline && !producers.Any(p => p.IsFaulted))
        {
            int handled = ring.Consume(record =>
            {
                int id = BitConverter.ToInt32(record);
                int sequence = BitConverter.ToInt32(record[4..]);
                int length = BitConverter.ToInt32(record[8..]);
                bool intact = record.Length == length;
                for (int i = 12; intact && i < length; i++)
                    intact = record[i] == (byte)(id + sequence + i);
                if (id is < 0 or >= Producers || sequence != next[id] || !intact)
                    errors.Add($"record {received}: producer {id} sequence {sequence} (expected {(id is >= 0 and < Producers ? next[id] : -1)}), length {record.Length}, intact {intact}");
                else
                    next[id]++;
                received++;
            });
            if (handled == 0)
                Thread.Yield();
        }

        Task.WaitAll(producers);
        ring.Consume(_ => received++);
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(next, Is.All.EqualTo(PerProducer));
            Assert.That(received, Is.EqualTo(Producers * PerProducer));
            Assert.That(ring.AvailableData, Is.Zero);
        });
    }
}
