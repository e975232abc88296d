using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The program array from the host: slots of programs, one program type per array, the kernel's array iteration and delete.</summary>
public sealed class ProgArrayMapTests
{
    internal static ProgramArrayMap Create(int maxEntries = 4, BpfMapFlags flags = BpfMapFlags.None) =>
        new(new BpfMapDefinition { Name = "jmp", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = maxEntries, Flags = flags });

    internal static ProgramImage Program(string source, IReadOnlyList<BpfMap>? maps = null, ProgramType? type = null) =>
        new(Assembler.Assemble(source), maps, type: type);

    private static byte[] Key(uint index) => BitConverter.GetBytes(index);

    [Test]
    public void SlotsHoldWhatTheHostStores()
    {
        using var programs = Create();
        var target = Program("mov %r0, 1\nexit");
        programs.SetProgram(2, target);
        Assert.Multiple(() =>
        {
            Assert.That(programs.ProgramAt(2), Is.SameAs(target));
            Assert.That(programs.TailCallTarget(2), Is.SameAs(target));
            Assert.That(programs.ProgramAt(1), Is.Null);
            Assert.That(programs.TailCallTarget(1), Is.Null);
            Assert.That(programs.TailCallTarget(4), Is.Null);
            Assert.That(programs.TailCallTarget(ulong.MaxValue), Is.Null);
            Assert.Throws<ArgumentOutOfRangeException>(() => programs.SetProgram(4, target));
            Assert.Throws<ArgumentOutOfRangeException>(() => programs.SetProgram(-1, target));
        });
        programs.SetProgram(2, null);
        Assert.That(programs.TailCallTarget(2), Is.Null);
    }

    [Test]
    public void EveryProgramMustHaveTheTypeOfTheFirst()
    {
        using var programs = Create();
        programs.SetProgram(0, Program("mov %r0, 1\nexit", type: ProgramType.ForKind(BpfProgramKind.Xdp)));
        var other = Program("mov %r0, 2\nexit", type: ProgramType.ForKind(BpfProgramKind.SocketFilter));
        var error = Assert.Throws<BpfMapException>(() => programs.SetProgram(1, other));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(programs.ProgramAt(1), Is.Null);
            Assert.DoesNotThrow(() => programs.SetProgram(1, Program("mov %r0, 3\nexit", type: ProgramType.ForKind(BpfProgramKind.Xdp))), "another instance of the same type");
            Assert.That(programs.OwnerType!.Kind, Is.EqualTo(BpfProgramKind.Xdp));
        });
        programs.SetProgram(0, null);
        programs.SetProgram(1, null);
        Assert.That(() => programs.SetProgram(0, other), Throws.TypeOf<BpfMapException>(), "the type stays the array's once set, as in the kernel");
    }

    [Test]
    public void DeleteEmptiesASlotAsTheKernelsDoes()
    {
        using var programs = Create();
        programs.SetProgram(1, Program("mov %r0, 1\nexit"));
        Assert.Multiple(() =>
        {
            Assert.That(programs.Delete(Key(1)), Is.True);
            Assert.That(programs.Delete(Key(1)), Is.False, "the kernel's ENOENT");
            Assert.That(programs.TailCallTarget(1), Is.Null);
            Assert.That(Assert.Throws<BpfMapException>(() => programs.Delete(Key(4)))!.Errno, Is.EqualTo(Errno.E2BIG));
            Assert.Throws<ArgumentException>(() => programs.Delete(new byte[8]));
        });
    }

    [Test]
    public void IterationVisitsEveryIndexAsForArrays()
    {
        using var programs = Create(maxEntries: 3);
        programs.SetProgram(1, Program("mov %r0, 1\nexit"));
        var next = new byte[4];
        Assert.Multiple(() =>
        {
            Assert.That(programs.Keys.Select(k => BitConverter.ToUInt32(k)), Is.EqualTo(new uint[] { 0, 1, 2 }));
            Assert.That(programs.TryGetNextKey(Key(17), next), Is.True, "an index out of range restarts");
            Assert.That(BitConverter.ToUInt32(next), Is.Zero);
        });
    }

    [Test]
    public void DescriptorBasedHostOperationsAreNotSupported()
    {
        using var programs = Create();
        Assert.Multiple(() =>
        {
            Assert.Throws<NotSupportedException>(() => programs.TryLookup(Key(0), new byte[4]));
            Assert.Throws<NotSupportedException>(() => programs.Update(Key(0), Key(3)));
        });
    }

    [Test]
    public void AReadOnlyArrayRefusesTheHostsChanges()
    {
        using var programs = Create(flags: BpfMapFlags.ReadOnly);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => programs.SetProgram(0, Program("mov %r0, 1\nexit")))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => programs.Delete(Key(0)))!.Errno, Is.EqualTo(Errno.EPERM));
        });
    }

    [Test]
    public void ADisposedArrayIsEmptied()
    {
        var programs = Create();
        programs.SetProgram(0, Program("mov %r0, 1\nexit"));
        programs.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(programs.TailCallTarget(0), Is.Null);
            Assert.Throws<ObjectDisposedException>(() => programs.ProgramAt(0));
        });
    }

    [TestCase(8, 4, 4, BpfMapFlags.None, TestName = "an 8-byte key")]
    [TestCase(4, 8, 4, BpfMapFlags.None, TestName = "an 8-byte value")]
    [TestCase(4, 4, 0, BpfMapFlags.None, TestName = "no entries")]
    [TestCase(4, 4, 4, BpfMapFlags.ReadOnlyProgram, TestName = "BPF_F_RDONLY_PROG")]
    [TestCase(4, 4, 4, BpfMapFlags.Mmapable, TestName = "BPF_F_MMAPABLE")]
    public void DefinitionsTheKernelRefusesAreRejected(int keySize, int valueSize, int maxEntries, BpfMapFlags flags) =>
        Assert.Throws<ArgumentException>(() => MapFactory.Create(new BpfMapDefinition
        {
            Name = "jmp", Type = BpfMapType.ProgArray, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags,
        }));

    [Test]
    public void TheFactoryMakesProgramArrays()
    {
        using var map = MapFactory.Create(new BpfMapDefinition { Name = "jmp", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 1 });
        Assert.That(map, Is.InstanceOf<ProgramArrayMap>());
    }
}

/// <summary>Tail calls through a real program array, on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ProgArrayMapProgramTests(string engine)
{
    // Tail-calls slot r3 (an immediate) with the context; if that fails, returns 7.
    private static string TailCall(int index) => $"""
        lddw %r2, map_idx(0)
        mov %r3, {index}
        call 12
        mov %r0, 7
        exit
        """;

    private ulong Run(ProgramImage image, byte[]? memory = null) =>
        Engines.Get(engine).Prepare(image, ExecutionOptions.Default).Run(memory ?? []);

    [Test]
    public void ATailCallRunsTheProgramInTheSlot()
    {
        using var programs = ProgArrayMapTests.Create();
        programs.SetProgram(1, ProgArrayMapTests.Program("ldxw %r0, [%r1+0]\nadd %r0, 1000\nexit"));
        ulong result = Run(ProgArrayMapTests.Program(TailCall(1), [programs]), BitConverter.GetBytes(5));
        Assert.That(result, Is.EqualTo(1005UL), "the target got the caller's context and its r0 is the result");
    }

    [TestCase(0, TestName = "an empty slot")]
    [TestCase(4, TestName = "an index past the end")]
    [TestCase(-1, TestName = "a huge index")]
    public void ATailCallThatFindsNoProgramFallsThrough(int index)
    {
        using var programs = ProgArrayMapTests.Create();
        programs.SetProgram(1, ProgArrayMapTests.Program("mov %r0, 1\nexit"));
        Assert.That(Run(ProgArrayMapTests.Program(TailCall(index), [programs])), Is.EqualTo(7UL));
    }

    [Test]
    public void TheHostCanSwapTheProgramBetweenRuns()
    {
        using var programs = ProgArrayMapTests.Create();
        var caller = Engines.Get(engine).Prepare(ProgArrayMapTests.Program(TailCall(0), [programs]), ExecutionOptions.Default);
        programs.SetProgram(0, ProgArrayMapTests.Program("mov %r0, 100\nexit"));
        ulong first = caller.Run([]);
        programs.SetProgram(0, ProgArrayMapTests.Program("mov %r0, 200\nexit"));
        ulong second = caller.Run([]);
        programs.SetProgram(0, null);
        ulong third = caller.Run([]);
        Assert.That(new[] { first, second, third }, Is.EqualTo(new ulong[] { 100, 200, 7 }));
    }

    [Test]
    public void TailCallsChainThroughSlots()
    {
        using var programs = ProgArrayMapTests.Create();
        programs.SetProgram(0, ProgArrayMapTests.Program("stw [%r1+0], 10\n" + TailCall(1), [programs]));
        programs.SetProgram(1, ProgArrayMapTests.Program("ldxw %r2, [%r1+0]\nadd %r2, 5\nstxw [%r1+0], %r2\n" + TailCall(2), [programs]));
        programs.SetProgram(2, ProgArrayMapTests.Program("ldxw %r0, [%r1+0]\nmul %r0, 3\nexit"));
        var memory = new byte[4];
        Assert.That(Run(ProgArrayMapTests.Program(TailCall(0), [programs]), memory), Is.EqualTo(45UL));
    }

    [Test]
    public void TailCallsStopAfterThirtyThree()
    {
        using var programs = ProgArrayMapTests.Create(maxEntries: 1);
        var self = ProgArrayMapTests.Program("""
            ldxw %r2, [%r1+0]
            add %r2, 1
            stxw [%r1+0], %r2
            lddw %r2, map_idx(0)
            mov %r3, 0
            call 12
            mov %r0, 99
            exit
            """, [programs]);
        programs.SetProgram(0, self);
        var memory = new byte[4];
        ulong result = Run(self, memory);
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt32(memory), Is.EqualTo(1U + 33), "the first run and 33 tail calls, the kernel's MAX_TAIL_CALL_CNT");
            Assert.That(result, Is.EqualTo(99UL), "the 34th call failed, so the last program went on");
        });
    }

    [Test]
    public void ATailCallThroughADisposedArrayFallsThrough()
    {
        var programs = ProgArrayMapTests.Create();
        programs.SetProgram(0, ProgArrayMapTests.Program("mov %r0, 1\nexit"));
        var caller = Engines.Get(engine).Prepare(ProgArrayMapTests.Program(TailCall(0), [programs]), ExecutionOptions.Default);
        programs.Dispose();
        Assert.That(caller.Run([]), Is.EqualTo(7UL));
    }

    [Test]
    public void ProgramsCannotUseTheMapHelpersOnAProgramArray()
    {
        // The kernel's verifier allows only bpf_tail_call on program arrays.
        using var programs = ProgArrayMapTests.Create();
        var target = ProgArrayMapTests.Program("mov %r0, 1\nexit");
        programs.SetProgram(0, target);
        ulong lookup = Run(ProgArrayMapTests.Program("stw [%r10-4], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit", [programs]));
        ulong update = Run(ProgArrayMapTests.Program("stw [%r10-4], 0\nstw [%r10-8], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit", [programs]));
        ulong delete = Run(ProgArrayMapTests.Program("stw [%r10-4], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\ncall 3\nexit", [programs]));
        Assert.Multiple(() =>
        {
            Assert.That(lookup, Is.Zero);
            Assert.That(update, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(delete, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(programs.ProgramAt(0), Is.SameAs(target));
        });
    }
}
