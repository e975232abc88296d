using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>Perf event arrays and <c>bpf_perf_event_output</c> (helper 25), on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class PerfEventArrayTests(string engine)
{
    private const int CpuSlotHelper = 8; // bpf_get_smp_processor_id, registered here so the test knows the run's slot

    // Outputs the 8 bytes 0x0807060504030201 with the flags at [r1+0] (BPF_F_CURRENT_CPU when they
    // are 0xffffffff); r0 is the helper's result, and the run's CPU slot is stored at [r1+8].
    private const string OutputProgram = """
        mov %r6, %r1
        call 8
        stxdw [%r6+8], %r0
        lddw %r1, 0x0807060504030201
        stxdw [%r10-8], %r1
        mov %r1, %r6
        lddw %r2, map_idx(0)
        ldxdw %r3, [%r6+0]
        mov %r4, %r10
        add %r4, -8
        mov %r5, 8
        call 25
        exit
        """;

    private static readonly ExecutionOptions s_options = ExecutionOptions.Default with
    {
        Helpers = HelperRegistry.CreateDefault().Register(CpuSlotHelper, "bpf_get_smp_processor_id", (_, _, _, _, _, invocation) => (ulong)invocation.CpuSlot),
    };

    private static PerfEventArrayMap Events(int maxEntries = 0) =>
        new(new BpfMapDefinition { Name = "events", Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 4, MaxEntries = maxEntries });

    /// <summary>Runs <see cref="OutputProgram"/> with <paramref name="flags"/>: its result and its CPU slot.</summary>
    private (ulong Result, int Cpu) Output(PerfEventArrayMap map, ulong flags)
    {
        var memory = new byte[16];
        BitConverter.TryWriteBytes(memory, flags);
        ulong result = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(OutputProgram), [map]), s_options).Run(memory);
        return (result, (int)BitConverter.ToUInt64(memory, 8));
    }

    [Test]
    public void OutputToTheCurrentCpuReachesItsListenerWithTheBytes()
    {
        using var map = Events();
        var samples = new List<(int Cpu, byte[] Data)>();
        using var subscription = map.Subscribe((cpu, data) => samples.Add((cpu, data.ToArray())));
        var (result, slot) = Output(map, PerfEventArrayMap.CurrentCpu);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(samples, Has.Count.EqualTo(1));
            Assert.That(samples[0].Cpu, Is.EqualTo(slot));
            Assert.That(samples[0].Data, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        });
    }

    [Test]
    public void AnExplicitIndexMustBeTheRunsOwnSlot()
    {
        using var map = Events(CpuSlots.Count + 1);
        var cpus = new List<int>();
        using var subscription = map.Subscribe((cpu, _) => cpus.Add(cpu));

        // The run's slot can differ from run to run: each program asks for its own.
        ulong own = RunWithOwnSlot(map, plusOne: false);
        ulong other = RunWithOwnSlot(map, plusOne: true);
        Assert.Multiple(() =>
        {
            Assert.That(own, Is.Zero);
            Assert.That(other, Is.EqualTo(Errno.Negative(Errno.EOPNOTSUPP)), "Linux's per-CPU events take samples from their own CPU only");
            Assert.That(cpus, Has.Count.EqualTo(1), "only the output to its own slot was delivered");
        });
    }

    private ulong RunWithOwnSlot(PerfEventArrayMap map, bool plusOne)
    {
        // Like OutputProgram, but the flags are the run's own slot (plus one when asked).
        string program = $"""
            call 8
            {(plusOne ? "add %r0, 1" : "mov %r0, %r0")}
            mov %r3, %r0
            stdw [%r10-8], 7
            lddw %r2, map_idx(0)
            mov %r4, %r10
            add %r4, -8
            mov %r5, 8
            call 25
            exit
            """;
        return Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(program), [map]), s_options).Run([]);
    }

    [Test]
    public void NobodyListeningIsNoEntry()
    {
        using var map = Events();
        Assert.That(Output(map, PerfEventArrayMap.CurrentCpu).Result, Is.EqualTo(Errno.Negative(Errno.ENOENT)));
        int calls = 0;
        var subscription = map.Subscribe((_, _) => calls++);
        Assert.That(Output(map, PerfEventArrayMap.CurrentCpu).Result, Is.Zero);
        subscription.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(Output(map, PerfEventArrayMap.CurrentCpu).Result, Is.EqualTo(Errno.Negative(Errno.ENOENT)), "unsubscribed");
            Assert.That(calls, Is.EqualTo(1));
        });
    }

    [Test]
    public void AListenerOfOneSlotHearsOnlyThatSlot()
    {
        using var map = Events(CpuSlots.Count);
        var (_, slot) = Output(map, PerfEventArrayMap.CurrentCpu);
        var heard = new List<int>();
        var subscriptions = Enumerable.Range(0, CpuSlots.Count).Select(cpu => map.Subscribe(cpu, (c, _) => heard.Add(c * 100 + cpu))).ToList();
        var (result, slotNow) = Output(map, PerfEventArrayMap.CurrentCpu);
        subscriptions.ForEach(s => s.Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(heard, Is.EqualTo(new[] { slotNow * 101 }), "only the listener of the run's slot, with its own slot number");
            Assert.That(map.HasListener(slot), Is.False);
        });
    }

    [Test]
    public void FlagsAndIndexesAreCheckedAsByLinux()
    {
        using var map = Events(2);
        using var subscription = map.Subscribe((_, _) => { });
        Assert.Multiple(() =>
        {
            Assert.That(Output(map, 5).Result, Is.EqualTo(Errno.Negative(Errno.E2BIG)), "index past max_entries");
            Assert.That(Output(map, 1UL << 32).Result, Is.EqualTo(Errno.Negative(Errno.EINVAL)), "flags beyond the index (BPF_F_CTXLEN_MASK)");
            Assert.That(Output(map, 1UL << 63 | PerfEventArrayMap.CurrentCpu).Result, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
        });
    }

    [Test]
    public void ANumberThatIsNotAMapIsInvalid()
    {
        ulong result = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            mov %r2, 99
            lddw %r3, 0xffffffff
            mov %r4, %r10
            add %r4, -8
            mov %r5, 8
            call 25
            exit
            """)), s_options).Run([]);
        Assert.That(result, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
    }

    [Test]
    public void CheckedModeStopsDataOutsideTheProgramsMemory()
    {
        using var map = Events();
        using var subscription = map.Subscribe((_, _) => Assert.Fail("nothing may be delivered"));
        var error = Assert.Throws<BpfRuntimeException>(() => Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            lddw %r2, map_idx(0)
            lddw %r3, 0xffffffff
            mov %r4, %r10
            add %r4, -8
            mov %r5, 16
            call 25
            exit
            """), [map]), s_options).Run([]));
        Assert.That(error!.InstructionIndex, Is.EqualTo(7));
    }

    [Test]
    public void AListenersExceptionLeavesTheRun()
    {
        using var map = Events();
        using var subscription = map.Subscribe((_, _) => throw new InvalidDataException("listener failed"));
        Assert.Throws<InvalidDataException>(() => Output(map, PerfEventArrayMap.CurrentCpu));
    }
}

/// <summary>Creating perf event arrays.</summary>
public sealed class PerfEventArrayCreationTests
{
    [Test]
    public void KeysAndValuesMustBeFourBytes()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => new PerfEventArrayMap(new BpfMapDefinition { Name = "e", Type = BpfMapType.PerfEventArray, KeySize = 8, ValueSize = 4, MaxEntries = 2 }));
            Assert.Throws<ArgumentException>(() => new PerfEventArrayMap(new BpfMapDefinition { Name = "e", Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 8, MaxEntries = 2 }));
        });
    }

    [Test]
    public void ZeroEntriesMeansOnePerCpuSlot()
    {
        using var map = MapFactory.Create(new BpfMapDefinition { Name = "e", Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 4 });
        Assert.Multiple(() =>
        {
            Assert.That(map, Is.InstanceOf<PerfEventArrayMap>());
            Assert.That(map.MaxEntries, Is.EqualTo(CpuSlots.Count));
        });
    }

    [Test]
    public void SubscribingToASlotOutsideTheMapIsRefused()
    {
        using var map = new PerfEventArrayMap(new BpfMapDefinition { Name = "e", Type = BpfMapType.PerfEventArray, KeySize = 4, ValueSize = 4, MaxEntries = 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => map.Subscribe(2, (_, _) => { }));
    }
}
