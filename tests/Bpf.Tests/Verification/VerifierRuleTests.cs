using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// One rule at a time: a safe program the verifier must accept and an unsafe one it must reject
/// with the right code at the right instruction. Programs are assembly; raw-memory programs get
/// r1 = input and r2 = its length.
/// </summary>
public class VerifierRuleTests
{
    private static readonly BpfMap s_array = MapFactory.Create(new BpfMapDefinition { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
    private static readonly BpfMap s_hash = MapFactory.Create(new BpfMapDefinition { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 16, MaxEntries = 8 });
    private static readonly BpfMap s_rodata = MapFactory.Create(new BpfMapDefinition
        { Name = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Flags = BpfMapFlags.ReadOnlyProgram });
    private static readonly BpfMap s_ringbuf = MapFactory.Create(new BpfMapDefinition { Name = "events", Type = BpfMapType.Ringbuf, MaxEntries = 4096 });

    [OneTimeTearDown]
    public static void FreeMaps()
    {
        s_array.Dispose();
        s_hash.Dispose();
        s_rodata.Dispose();
        s_ringbuf.Dispose();
    }

    private static VerificationResult Verify(string source, ProgramType? type = null, long budget = 1_000_000) =>
        ProgramVerifier.Verify(Assembler.Assemble(source), new VerifierOptions
        {
            Type = type ?? ProgramType.RawMemory,
            Maps = [s_array, s_hash, s_rodata, s_ringbuf],
            InstructionBudget = budget,
        });

    private static void Accepted(string source, ProgramType? type = null)
    {
        var result = Verify(source, type);
        Assert.That(result.Diagnostics, Is.Empty, "the safe program was rejected");
    }

    private static VerificationDiagnostic Rejected(string source, DiagnosticCode code, int instruction, ProgramType? type = null, long budget = 1_000_000)
    {
        var result = Verify(source, type, budget);
        Assert.That(result.IsAccepted, Is.False, "the unsafe program was accepted");
        var diagnostic = result.Diagnostics[0];
        Assert.That((diagnostic.Code, diagnostic.Instruction), Is.EqualTo((code, instruction)), diagnostic.ToString());
        Assert.That(diagnostic.ToString(), Does.StartWith($"BPF{(int)code:D4}: insn {instruction} ("));
        return diagnostic;
    }

    private static ProgramType Xdp => ProgramType.ForKind(BpfProgramKind.Xdp);

    [Test]
    public void RegistersMustBeWrittenBeforeTheyAreRead()
    {
        Accepted("mov %r3, 1\nmov %r0, %r3\nexit");
        Assert.That(Rejected("mov %r0, %r3\nexit", DiagnosticCode.UninitializedRegister, 0).Message, Does.Contain("r3"));
    }

    [Test]
    public void R0MustBeSetBeforeExit()
    {
        Accepted("mov %r0, 0\nexit");
        Rejected("exit", DiagnosticCode.InvalidReturnValue, 0);
    }

    [Test]
    public void StackBytesMustBeWrittenBeforeTheyAreRead()
    {
        Accepted("stw [%r10-8], 1\nldxw %r0, [%r10-8]\nexit");
        Rejected("stw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit", DiagnosticCode.UninitializedStack, 1);
    }

    [TestCase("stdw [%r10-520], 1", TestName = "below the frame")]
    [TestCase("stdw [%r10+0], 1", TestName = "at the frame pointer")]
    [TestCase("stb [%r10+0], 1", TestName = "a byte at the frame pointer")]
    public void StackAccessesStayInTheFrame(string store)
    {
        Accepted("stdw [%r10-512], 1\nmov %r0, 0\nexit");
        Rejected($"{store}\nmov %r0, 0\nexit", DiagnosticCode.OutOfBounds, 0);
    }

    [Test]
    public void SpilledPointersComeBackAsPointers()
    {
        Accepted("""
            mov %r3, %r10
            stxdw [%r10-8], %r3
            ldxdw %r4, [%r10-8]
            stdw [%r4-16], 7
            ldxdw %r0, [%r10-16]
            exit
            """);
        Rejected("mov %r3, %r10\nstxw [%r10-8], %r3\nmov %r0, 0\nexit", DiagnosticCode.InvalidPointerArithmetic, 1);
    }

    [Test]
    public void RawMemoryNeedsALengthCheck()
    {
        Accepted("mov %r0, 0\njlt %r2, 4, +1\nldxw %r0, [%r1+0]\nexit");
        Accepted("mov %r0, 0\nmov %r3, %r2\njeq %r3, 0, +1\nldxb %r0, [%r1+0]\nexit");
        var error = Rejected("ldxw %r0, [%r1+0]\nexit", DiagnosticCode.OutOfBounds, 0);
        Assert.That(error.Message, Does.Contain("0 bytes are proven"));
        Rejected("mov %r0, 0\njlt %r2, 2, +1\nldxw %r0, [%r1+0]\nexit", DiagnosticCode.OutOfBounds, 2);
    }

    [Test]
    public void RawMemoryMayBeIndexedBelowItsLength()
    {
        // i < length, then input[i & 0xff]: the byte at the index is inside.
        Accepted("mov %r0, 0\nmov %r3, 5\njge %r3, %r2, +4\nand %r3, 255\nadd %r1, %r3\nldxb %r0, [%r1+0]\nexit\nexit");
        // i <= length is one byte too many.
        Rejected("mov %r0, 0\nmov %r3, 5\njgt %r3, %r2, +4\nand %r3, 255\nadd %r1, %r3\nldxb %r0, [%r1+0]\nexit\nexit", DiagnosticCode.OutOfBounds, 5);
        // Below the length is not enough for a wider access.
        Rejected("mov %r0, 0\nmov %r3, 5\njge %r3, %r2, +3\nadd %r1, %r3\nldxh %r0, [%r1+0]\nexit\nexit", DiagnosticCode.OutOfBounds, 4);
    }

    [Test]
    public void MapLookupsMustBeCheckedForNull()
    {
        const string lookup = "stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(1)\ncall 1\n";
        Accepted(lookup + "mov %r1, %r0\nmov %r0, 0\njeq %r1, 0, +1\nldxdw %r0, [%r1+8]\nexit");
        var error = Rejected(lookup + "ldxdw %r0, [%r0+0]\nexit", DiagnosticCode.PossiblyNull, 6);
        Assert.That(error.Message, Does.Contain("r0 may be null here: it came from instruction 5"));
    }

    [Test]
    public void MapValuesHaveTheirSize()
    {
        const string lookup = "stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\njeq %r0, 0, +1\n";
        Accepted(lookup + "ldxdw %r0, [%r0+0]\nexit");
        Rejected(lookup + "ldxdw %r0, [%r0+4]\nexit", DiagnosticCode.OutOfBounds, 7);
    }

    [Test]
    public void MapHelpersNeedTheKeyOnTheStackWritten()
    {
        Rejected("mov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\nmov %r0, 0\nexit", DiagnosticCode.UninitializedStack, 4);
        Rejected("mov %r2, 0\nlddw %r1, map_idx(0)\ncall 1\nmov %r0, 0\nexit", DiagnosticCode.InvalidHelperArgument, 3);
    }

    [Test]
    public void ReadOnlyDataCannotBeWritten()
    {
        Accepted("lddw %r1, map_idx_value(2+0)\nldxdw %r0, [%r1+0]\nexit");
        Rejected("lddw %r1, map_idx_value(2+0)\nstdw [%r1+0], 1\nmov %r0, 0\nexit", DiagnosticCode.ReadOnlyWrite, 2);
    }

    [Test]
    public void PacketAccessNeedsACheckAgainstDataEnd()
    {
        const string load = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n";
        Accepted(load + "mov %r0, 2\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +1\nldxb %r0, [%r2+13]\nexit", Xdp);
        Rejected(load + "ldxb %r0, [%r2+13]\nexit", DiagnosticCode.OutOfBounds, 2, Xdp);
        Rejected(load + "mov %r0, 2\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +1\nldxb %r0, [%r2+14]\nexit", DiagnosticCode.OutOfBounds, 6, Xdp);
    }

    [Test]
    public void ContextFieldsFollowTheProgramType()
    {
        Accepted("ldxw %r0, [%r1+12]\nexit", Xdp);
        Rejected("stw [%r1+0], 1\nmov %r0, 0\nexit", DiagnosticCode.InvalidContextAccess, 0, Xdp);
        Rejected("ldxdw %r0, [%r1+0]\nexit", DiagnosticCode.InvalidContextAccess, 0, Xdp);
        Rejected("ldxw %r0, [%r1+64]\nexit", DiagnosticCode.InvalidContextAccess, 0, Xdp);
    }

    [Test]
    public void PointersCannotBeMangled()
    {
        Rejected("mov %r0, %r10\nand %r0, 1\nexit", DiagnosticCode.InvalidPointerArithmetic, 1);
        Rejected("mov %r0, %r10\nadd32 %r0, 1\nexit", DiagnosticCode.InvalidPointerArithmetic, 1);
        // Adding two pointers once kept the first as it was (the second's offset part is 0).
        Rejected("mov %r3, %r1\nadd %r3, %r1\nldxb %r0, [%r3+0]\nexit", DiagnosticCode.InvalidPointerArithmetic, 1);
        Rejected("mov %r0, 0\nldxdw %r0, [%r0+0]\nexit", DiagnosticCode.NotAPointer, 1);
    }

    [Test]
    public void TheProgramMayNotReturnAPointer() =>
        Rejected("mov %r0, %r10\nexit", DiagnosticCode.PointerLeak, 1);

    [Test]
    public void UnreachableInstructionsAreRejected() =>
        Rejected("mov %r0, 0\nexit\nmov %r0, 1\nexit", DiagnosticCode.UnreachableInstruction, 2);

    [Test]
    public void BoundedLoopsAreExploredAndEndlessOnesRejected()
    {
        Accepted("mov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 10, loop\nmov %r0, 0\nexit");
        Rejected("mov %r0, 0\nloop:\nja loop", DiagnosticCode.InfiniteLoop, 1);
        Rejected("mov %r1, 0\nloop:\nadd %r1, 1\njgt %r1, 0, loop\nmov %r0, 0\nexit", DiagnosticCode.TooComplex, 2, budget: 5_000);
    }

    [Test]
    public void ALoopThroughEveryCounterValueEndsAtTheFullBudget()
    {
        // A state is kept at the loop head every round and none covers the next, so the kept
        // states once piled up and each round was compared with all of them: a million processed
        // instructions took hours. Evicting states that keep missing (as Linux does) ends it at the
        // budget. The wait only turns a hang into a failure.
        var verification = Task.Run(() =>
            Rejected("mov %r1, 0\nloop:\nadd %r1, 1\njne %r1, 0, loop\nmov %r0, 0\nexit", DiagnosticCode.TooComplex, 2));
        Assert.That(verification.Wait(TimeSpan.FromMinutes(2)), Is.True, "verification did not reach the budget: it hangs");
    }

    [Test]
    public void RingBufferRecordsMustBeSubmittedOrDiscarded()
    {
        const string reserve = "lddw %r1, map_idx(3)\nmov %r2, 16\nmov %r3, 0\ncall 131\nmov %r6, %r0\nmov %r0, 0\njeq %r6, 0, done\nstdw [%r6+8], 1\n";
        Accepted(reserve + "mov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r0, 0\ndone:\nexit");
        var error = Rejected(reserve + "mov %r0, 0\ndone:\nexit", DiagnosticCode.UnreleasedReference, 10);
        Assert.That(error.Message, Does.Contain("reserved at instruction 4"));
        Rejected(reserve + "stdw [%r6+16], 1\nmov %r1, %r6\nmov %r2, 0\ncall 133\ndone:\nexit", DiagnosticCode.OutOfBounds, 9);
    }

    [Test]
    public void CallbacksReturnZeroOrOne()
    {
        const string loop = "mov %r1, 4\nlddw %r2, func(callback)\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\ncallback:\n";
        Accepted(loop + "mov %r0, 1\nexit");
        Rejected(loop + "mov %r0, 2\nexit", DiagnosticCode.InvalidReturnValue, 8);
    }

    [Test]
    public void HelpersAndReturnValuesFollowTheProgramType()
    {
        var socket = ProgramType.ForKind(BpfProgramKind.SocketFilter);
        Accepted("mov %r2, 0\ncall 44\nmov %r0, 0\nexit", Xdp);
        Rejected("mov %r2, 0\ncall 44\nmov %r0, 0\nexit", DiagnosticCode.UnknownHelper, 1, socket);
        // cgroup/skb programs say allow (1) or deny (0), as Linux requires.
        var cgroup = ProgramType.ForKind(BpfProgramKind.CgroupSkb);
        Accepted("mov %r0, 1\nexit", cgroup);
        Rejected("mov %r0, 5\nexit", DiagnosticCode.InvalidReturnValue, 1, cgroup);
    }

    [Test]
    public void HelpersWithoutAPrototypeAreRefused() =>
        Rejected("call 9\nmov %r0, 0\nexit", DiagnosticCode.UnknownHelper, 0);
}
