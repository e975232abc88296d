using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Runtime;

/// <summary>
/// What programs refer to beyond their own code, on every engine: maps by handle, global data by
/// direct value address, their own functions as callbacks, and tail calls into other programs.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ReferenceSemanticsTests(string engine)
{
    private const int CallTwice = 1100;

    private static ArrayMap Globals(int size) =>
        new(new BpfMapDefinition { Name = ".data", Type = BpfMapType.Array, KeySize = 4, ValueSize = size, MaxEntries = 1 });

    private ulong Run(string source, ProgramImageParts parts, ExecutionOptions? options = null, byte[]? memory = null)
    {
        var image = new ProgramImage(Assembler.Assemble(source), parts.Maps, parts.Kfuncs);
        return Engines.Get(engine).Prepare(image, options ?? ExecutionOptions.Default).Run(memory ?? []);
    }

    private sealed record ProgramImageParts(IReadOnlyList<BpfMap>? Maps = null, IReadOnlyList<KfuncDefinition>? Kfuncs = null);

    [Test]
    public void MapLoadGivesTheMapsHandle()
    {
        using var map = Globals(8);
        Assert.That(Run("lddw %r0, map_idx(0)\nexit", new([map])), Is.EqualTo(map.Handle));
    }

    [Test]
    public void MapFdLoadMeansTheSameIndex()
    {
        using var map = Globals(8);
        Assert.That(Run("lddw %r0, map_fd(0)\nexit", new([map])), Is.EqualTo(map.Handle));
    }

    [Test]
    public void GlobalVariablesAreReadAndWrittenInPlace()
    {
        using var globals = Globals(16);
        BitConverter.TryWriteBytes(globals.ValueAt(0)[8..], 40UL);
        ulong result = Run("""
            lddw %r1, map_idx_value(0+8)
            ldxdw %r0, [%r1+0]
            add %r0, 2
            stxdw [%r1+0], %r0
            exit
            """, new([globals]));
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(42UL));
            Assert.That(BitConverter.ToUInt64(globals.ValueAt(0)[8..]), Is.EqualTo(42UL));
        });
    }

    [Test]
    public void CheckedModeStopsAccessesPastAGlobal()
    {
        using var globals = Globals(16);
        var error = Assert.Throws<BpfRuntimeException>(() => Run("lddw %r1, map_value(0+8)\nldxdw %r0, [%r1+8]\nexit", new([globals])));
        Assert.That(error!.InstructionIndex, Is.EqualTo(2));
    }

    [Test]
    public void ReadOnlyGlobalsCannotBeWrittenInCheckedMode()
    {
        using var rodata = new ArrayMap(new BpfMapDefinition
        {
            Name = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Flags = BpfMapFlags.ReadOnlyProgram,
        });
        var error = Assert.Throws<BpfRuntimeException>(() => Run("lddw %r1, map_value(0+0)\nstdw [%r1+0], 1\nmov %r0, 0\nexit", new([rodata])));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.ReadOnlyMemory));
    }

    [Test]
    public void DirectValueOfAMultiElementArrayIsRejected()
    {
        using var array = new ArrayMap(new BpfMapDefinition { Name = "a", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
        Assert.Throws<UnresolvedReferenceException>(() => Run("lddw %r1, map_value(0+0)\nmov %r0, 0\nexit", new([array])));
    }

    [Test]
    public void DirectValueOffsetOutsideTheValueIsRejected()
    {
        using var globals = Globals(8);
        Assert.Throws<UnresolvedReferenceException>(() => Run("lddw %r1, map_value(0+8)\nmov %r0, 0\nexit", new([globals])));
    }

    [Test]
    public void HelpersCallTheProgramsFunctionsThroughTheirHandles()
    {
        var helpers = HelperRegistry.CreateDefault().Register(CallTwice, "test_call_twice", (fn, arg, _, _, _, inv) =>
            inv.CallFunction(fn, arg, 0, 0, 0, 0) * 1000 + inv.CallFunction(fn, arg + 1, 0, 0, 0, 0));
        ulong result = Run($"""
            lddw %r1, func(square)
            mov %r2, 3
            call {CallTwice}
            exit
            square:
            mov %r0, %r1
            mul %r0, %r1
            exit
            """, new(), ExecutionOptions.Default with { Helpers = helpers });
        Assert.That(result, Is.EqualTo(9UL * 1000 + 16));
    }

    [Test]
    public void CallbacksHaveTheirOwnStackFrame()
    {
        var helpers = HelperRegistry.CreateDefault().Register(CallTwice, "test_call_twice", (fn, arg, _, _, _, inv) =>
            inv.CallFunction(fn, arg, 0, 0, 0, 0) + inv.CallFunction(fn, arg, 0, 0, 0, 0));
        ulong result = Run($"""
            stdw [%r10-8], 100
            lddw %r1, func(f)
            mov %r2, 1
            call {CallTwice}
            ldxdw %r1, [%r10-8]
            add %r0, %r1
            exit
            f:
            ldxdw %r0, [%r10-8]
            stdw [%r10-8], 5
            add %r0, %r1
            exit
            """, new(), ExecutionOptions.Default with { Helpers = helpers });
        Assert.That(result, Is.EqualTo(1UL + 1 + 100), "each call of the callback starts with a zeroed frame of its own");
    }

    [Test]
    public void ANumberThatIsNotAFunctionHandleTraps()
    {
        var helpers = HelperRegistry.CreateDefault().Register(CallTwice, "test_call", (fn, _, _, _, _, inv) => inv.CallFunction(fn, 0, 0, 0, 0, 0));
        var error = Assert.Throws<BpfRuntimeException>(() => Run($"mov %r1, 12345\ncall {CallTwice}\nexit", new(), ExecutionOptions.Default with { Helpers = helpers }));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.BadCallTarget));
            Assert.That(error.InstructionIndex, Is.EqualTo(1));
        });
    }

    [Test]
    public void KfuncsAreCalledLikeHelpers()
    {
        var kfunc = new KfuncDefinition("test_add", (a, b, _, _, _, _) => a + b);
        Assert.That(Run("mov %r1, 40\nmov %r2, 2\ncall kfunc 0\nexit", new(Kfuncs: [kfunc])), Is.EqualTo(42UL));
    }

    [Test]
    public void TailCallRunsTheTargetInsteadOfTheRestOfTheCaller()
    {
        var target = new ProgramImage(Assembler.Assemble("ldxw %r0, [%r1+0]\nadd %r0, 1000\nexit"));
        using var programs = new TestProgramArray([target]);
        ulong result = Run("""
            mov %r6, %r1
            lddw %r2, map_idx(0)
            mov %r3, 0
            call 12
            mov %r0, 7
            exit
            """, new([programs]), memory: BitConverter.GetBytes(5));
        Assert.That(result, Is.EqualTo(1005UL), "the target reads the caller's context and its r0 is the result");
    }

    [Test]
    public void TailCallToAnEmptySlotFailsAndTheProgramGoesOn()
    {
        using var programs = new TestProgramArray([null]);
        ulong result = Run("""
            lddw %r2, map_idx(0)
            mov %r3, 0
            call 12
            mov %r1, 0
            jsge %r0, %r1, +2
            mov %r0, 7
            exit
            mov %r0, 8
            exit
            """, new([programs]));
        Assert.That(result, Is.EqualTo(7UL), "bpf_tail_call returned a negative error");
    }

    [Test]
    public void TailCallsFromASubprogramReplaceOnlyThatFunction()
    {
        var target = new ProgramImage(Assembler.Assemble("mov %r0, 50\nexit"));
        using var programs = new TestProgramArray([target]);
        ulong result = Run("""
            call local f
            add %r0, 1
            exit
            f:
            lddw %r2, map_idx(0)
            mov %r3, 0
            call 12
            mov %r0, 7
            exit
            """, new([programs]));
        Assert.That(result, Is.EqualTo(51UL));
    }

    [Test]
    public void TailCallsStopAfterThirtyThree()
    {
        // A program that tail-calls itself, counting in its context how often it ran.
        var countingImage = new TestProgramArray([null]);
        var self = new ProgramImage(Assembler.Assemble("""
            ldxw %r2, [%r1+0]
            add %r2, 1
            stxw [%r1+0], %r2
            lddw %r2, map_idx(0)
            mov %r3, 0
            call 12
            mov %r0, 99
            exit
            """), [countingImage]);
        countingImage.Programs[0] = self;
        using (countingImage)
        {
            var memory = new byte[4];
            ulong result = Engines.Get(engine).Prepare(self, ExecutionOptions.Default).Run(memory);
            Assert.Multiple(() =>
            {
                Assert.That(BitConverter.ToUInt32(memory), Is.EqualTo(1U + Invocation.MaxTailCalls), "the first run and 33 tail calls");
                Assert.That(result, Is.EqualTo(99UL), "the last one's tail call failed, so it went on");
            });
        }
    }

    [Test]
    public void AddressSpaceCastPutsTheArenasUpperHalfOnAnOffset()
    {
        using var arena = new TestArena(0x0000_7f12_0000_0000);
        ulong result = Run("""
            lddw %r1, 0x1234567800000040
            addr_space_cast %r0, %r1, 0, 1
            mov %r2, 0
            addr_space_cast %r2, %r2, 1, 0
            or %r0, %r2
            exit
            """, new([arena]));
        Assert.That(result, Is.EqualTo(0x0000_7f12_0000_0040UL), "the offset keeps its low half under the arena's high half; 0 stays 0");
    }

    [Test]
    public void AddressSpaceCastToTheProgramKeepsOffsetZeroAsTheArenasFirstPage()
    {
        // Linux's cast_kern keeps the lower 32 bits and accesses the arena's start plus them: offset 0
        // is the first page, not null. The other direction keeps 0 as null.
        using var arena = new TestArena(0x0000_7f12_0000_0000);
        ulong result = Run("""
            mov %r1, 0
            addr_space_cast %r0, %r1, 0, 1
            exit
            """, new([arena]));
        Assert.That(result, Is.EqualTo(0x0000_7f12_0000_0000UL));
    }

    [Test]
    public void AddressSpaceCastWithoutAnArenaIsRejected() =>
        Assert.Throws<UnresolvedReferenceException>(() => Run("addr_space_cast %r0, %r1, 0, 1\nexit", new()));

    /// <summary>A stand-in arena: only its base matters to <c>addr_space_cast</c>.</summary>
    private sealed class TestArena(ulong arenaBase)
        : BpfMap(new BpfMapDefinition { Name = "arena", Type = BpfMapType.Arena, MaxEntries = 1 })
    {
        public override ulong ArenaBase => arenaBase;

        public override IReadOnlyList<MemoryRegion> ValueRegions => [];

        protected override void FreeMemory()
        {
        }
    }

    /// <summary>A stand-in program array: just enough for <c>bpf_tail_call</c>.</summary>
    private sealed class TestProgramArray(ProgramImage?[] programs)
        : BpfMap(new BpfMapDefinition { Name = "programs", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = programs.Length })
    {
        public ProgramImage?[] Programs { get; } = programs;

        public override IReadOnlyList<MemoryRegion> ValueRegions => [];

        public override ProgramImage? TailCallTarget(ulong index) => index < (ulong)Programs.Length ? Programs[index] : null;

        protected override void FreeMemory()
        {
        }
    }
}
