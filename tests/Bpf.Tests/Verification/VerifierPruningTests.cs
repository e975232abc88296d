using Bpf.Isa;
using Bpf.Maps;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// State pruning must never accept an unsafe program: two paths reach a loop head differing in one
/// register or stack slot; the first is safe, the second unsafe only through that difference. When
/// the difference is dead (never read again) or imprecise (its value decides nothing), the second
/// path must be pruned instead.
/// </summary>
public class VerifierPruningTests
{
    private static readonly BpfMap s_array = MapFactory.Create(new BpfMapDefinition { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });

    /// <summary>The instruction that reads the map value at the offset in r1.</summary>
    private const int Access = 17;

    [OneTimeTearDown]
    public static void FreeMap() => s_array.Dispose();

    /// <summary>
    /// r0 is an 8-byte map value; r6, r7, the loop counter r8 and the slot fp-16 start at 0. On one side of a branch on
    /// an unknown byte, <paramref name="difference"/> runs; both sides meet at a loop head (always a
    /// checkpoint), where <paramref name="use"/> runs before the access at <see cref="Access"/>.
    /// The fall-through side (no difference) is explored first.
    /// </summary>
    private static VerificationResult Verify(string difference, string use) =>
        ProgramVerifier.Verify(Assembler.Assemble($"""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            lddw %r1, map_idx(0)
            call 1
            jeq %r0, 0, out
            mov %r6, 0
            mov %r7, 0
            mov %r8, 0
            stdw [%r10-16], 0
            ldxb %r3, [%r0+0]
            jeq %r3, 1, other
            ja head
            other:
            {difference}
            head:
            {use}
            ldxb %r2, [%r1+0]
            stxdw [%r0+0], %r7
            add %r8, 1
            jlt %r8, 2, head
            out:
            mov %r0, 0
            exit
            """), new VerifierOptions { Maps = [s_array] });

    [Test]
    public void ALiveRegisterThatDiffersIsNotPruned()
    {
        // r6 = 8 makes r0 + r6 point past the value.
        var result = Verify("mov %r6, 8", "mov %r1, %r0\nadd %r1, %r6");
        Assert.That(result.IsAccepted, Is.False, "the path with r6 = 8 was pruned by the one with r6 = 0");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, Access)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void ALiveStackSlotThatDiffersIsNotPruned()
    {
        // The offset goes through the stack: fp-16 is 8 on the second path.
        var result = Verify("stdw [%r10-16], 8", "ldxdw %r6, [%r10-16]\nmov %r1, %r0\nadd %r1, %r6");
        Assert.That(result.IsAccepted, Is.False, "the path with fp-16 = 8 was pruned by the one with fp-16 = 0");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, Access + 1)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void ADeadRegisterThatDiffersIsPruned()
    {
        // r6 differs but the loop overwrites it before reading it.
        var result = Verify("mov %r6, 8", "mov %r6, 0\nmov %r1, %r0\nadd %r1, %r6");
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.StatesPruned, Is.GreaterThan(0), "the second path reached the loop head with only a dead register changed");
    }

    [Test]
    public void ALoadAddressThatDiffersIsNotPruned()
    {
        // r1 is only ever used as a load's address: past the value on the second path.
        var result = ProgramVerifier.Verify(Assembler.Assemble("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            lddw %r1, map_idx(0)
            call 1
            jeq %r0, 0, out
            mov %r8, 0
            mov %r1, %r0
            ldxb %r3, [%r0+0]
            jeq %r3, 1, other
            ja head
            other:
            add %r1, 8
            head:
            ldxb %r2, [%r1+0]
            add %r8, 1
            jlt %r8, 2, head
            out:
            mov %r0, 0
            exit
            """), new VerifierOptions { Maps = [s_array] });
        Assert.That(result.IsAccepted, Is.False, "the path with r1 past the value was pruned by the one with r1 at its start");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 13)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void AValueStoredToTheStackKeepsItsPrecision()
    {
        // r6 goes through fp-16 into the offset: its exact value at the loop head matters.
        var result = Verify("mov %r6, 8", "stxdw [%r10-16], %r6\nldxdw %r7, [%r10-16]\nmov %r1, %r0\nadd %r1, %r7");
        Assert.That(result.IsAccepted, Is.False, "the path with r6 = 8 was pruned by the one with r6 = 0");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, Access + 2)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void LoadsReadTheirAddressAndStoresTheirValue()
    {
        var live = RegisterLiveness.Of(Assembler.Assemble("""
            ldxb %r2, [%r1+0]
            stxdw [%r10-8], %r3
            mov %r0, 0
            exit
            """));
        Assert.That(live.LiveAt(0), Is.EqualTo(0b1010 | 1 << 10), "the load reads r1, the store r3 and r10");
    }

    [Test]
    public void AnAtomicReadsOnlyItsOperands()
    {
        // Liveness once took atomics to read every register, which kept dead registers in every
        // comparison of states before one.
        var live = RegisterLiveness.Of(Assembler.Assemble("""
            lock add [%r0+0], %r2
            mov %r6, 0
            mov %r0, 0
            exit
            """));
        Assert.That(live.LiveAt(0), Is.EqualTo(0b101 | 1 << 10), "the atomic reads r0 (the address) and r2; r6 is written before anything reads it");
    }

    [Test]
    public void AFetchingAtomicWritesItsSource()
    {
        var live = RegisterLiveness.Of(Assembler.Assemble("""
            mov %r6, 1
            lock fetch add [%r0+0], %r6
            mov %r0, %r6
            exit
            """));
        Assert.That(live.LiveAt(1), Is.EqualTo(0b100_0001 | 1 << 10), "the fetch reads r0 and r6");
        Assert.That(live.LiveAt(0), Is.EqualTo(0b1 | 1 << 10), "r6 is written before the fetch reads it");
    }

    [Test]
    public void ACompareExchangeReadsR0()
    {
        // cmpxchg compares with r0 and leaves the old value there: r0 is live before it only
        // because it reads r0 (it writes r0 too), and it reads no register but r0, src and dst.
        var live = RegisterLiveness.Of(Assembler.Assemble("""
            mov %r2, 1
            lock cmpxchg [%r6+0], %r2
            exit
            """));
        Assert.That(live.LiveAt(1), Is.EqualTo(0b100_0101 | 1 << 10), "cmpxchg reads r0, r2 and r6");
        Assert.That(live.LiveAt(0), Is.EqualTo(0b100_0001 | 1 << 10), "r2 is written before cmpxchg reads it");
    }

    [Test]
    public void ALegacyPacketLoadReadsTheContextAndClobbersTheArguments()
    {
        var live = RegisterLiveness.Of(Assembler.Assemble("""
            mov %r3, 0
            ldabsb 12
            add %r0, %r3
            exit
            """));
        Assert.That(live.LiveAt(1), Is.EqualTo(1 << 6 | 1 << 10), "LD_ABS reads r6 and writes r0-r5 (r3 read after it is its clobbered value)");
    }

    [Test]
    public void ADeadStackSlotThatDiffersIsPruned()
    {
        // fp-16 differs but is written again before it is read.
        var result = Verify("stdw [%r10-16], 8", "stdw [%r10-16], 0\nldxdw %r6, [%r10-16]\nmov %r1, %r0\nadd %r1, %r6");
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.StatesPruned, Is.GreaterThan(0), "the second path reached the loop head with only a dead stack slot changed");
    }

    [Test]
    public void AnImpreciseScalarThatDiffersIsPruned()
    {
        // r7 is read (stored into the map value) but its value decides nothing.
        var result = Verify("mov %r7, 8", "mov %r1, %r0");
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.StatesPruned, Is.GreaterThan(0), "the second path differs only in a number that is stored, never checked");
    }

    [Test]
    public void AScalarThatDecidesABranchIsPrecise()
    {
        // r7 picks the offset through a branch: 8 on the second path takes the unsafe side.
        var result = Verify("mov %r7, 8", "mov %r1, %r0\njne %r7, 8, +1\nadd %r1, 8");
        Assert.That(result.IsAccepted, Is.False, "the path with r7 = 8 was pruned although r7 decides a branch");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, Access + 1)), result.Diagnostics[0].ToString());
    }

    /// <summary>
    /// Two paths meet at <c>head</c> (a checkpoint: the first path has run at least eight
    /// instructions and two jumps since the last one, and no prune point before it had as many): the first with r7 = <paramref name="first"/> (an instruction on the unknown byte in r7,
    /// or nothing: r7 is 0 .. 255), the second after <paramref name="second"/> too (one instruction).
    /// After the head <paramref name="use"/> runs with r1 = the 8-byte map value in r0; <c>done</c>
    /// ends the path. The first path is explored first. The head is instruction 16 plus the
    /// number of instructions in <paramref name="first"/> (at most 2).
    /// </summary>
    private static VerificationResult VerifyMeeting(string first, string use, string second = "mov %r7, 1000") =>
        ProgramVerifier.Verify(Assembler.Assemble($"""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            lddw %r1, map_idx(0)
            call 1
            jeq %r0, 0, done
            ldxb %r7, [%r0+0]
            {first}
            ldxb %r3, [%r0+1]
            jeq %r3, 1, other
            mov %r4, 0
            mov %r4, 0
            mov %r4, 0
            mov %r4, 0
            ja head
            other:
            {second}
            head:
            mov %r1, %r0
            {use}
            done:
            mov %r0, 0
            exit
            """), new VerifierOptions { Maps = [s_array], Log = true });

    /// <summary>How often the log shows instruction <paramref name="pc"/> processed.</summary>
    private static int TimesProcessed(VerificationResult result, int pc) =>
        result.Log!.Count(line => line.StartsWith($"{pc}: ", StringComparison.Ordinal));

    [Test]
    public void AScalarABranchCheckedBothWaysIsNotPrecise()
    {
        // The first path (r7 0 .. 255) takes both sides of the jump, so its value decided nothing:
        // the second (r7 = 1000) is pruned at the head instead of running the taken side again.
        var result = VerifyMeeting("", """
            jgt %r7, 10, big
            mov %r2, 1
            ja join
            big:
            mov %r2, 2
            join:
            stxdw [%r0+0], %r2
            """);
        Assert.That(result.Diagnostics, Is.Empty);
        const int big = 20;
        Assert.That(result.Log!.Any(line => line.StartsWith($"{big}: mov %r2, 2", StringComparison.Ordinal)), "the program's layout changed: fix the instruction number");
        Assert.That(TimesProcessed(result, big), Is.EqualTo(1), "the path with r7 = 1000 ran the taken side again: the branch made r7 precise although both ways were explored");
    }

    [Test]
    public void AValueABranchDidNotDecideIsStillPreciseWhereItIsAnOffset()
    {
        // The branch decides nothing for r7 in 0 .. 3, but r7 is an offset afterwards: 1000 is out of bounds.
        var result = VerifyMeeting("and %r7, 3", """
            jgt %r7, 1, big
            mov %r2, 1
            ja join
            big:
            mov %r2, 2
            join:
            add %r1, %r7
            ldxb %r2, [%r1+0]
            """);
        Assert.That(result.IsAccepted, Is.False, "the path with r7 = 1000 was pruned although r7 is an offset after the branch");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 23)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void ABranchTheKnownRangeDecidedMakesItsOperandPrecise()
    {
        // r7 in 0 .. 3 always takes the jump; r7 = 1000 falls through to an offset out of bounds.
        var result = VerifyMeeting("and %r7, 3", """
            jle %r7, 7, safe
            add %r1, 8
            safe:
            ldxb %r2, [%r1+0]
            """);
        Assert.That(result.IsAccepted, Is.False, "the path with r7 = 1000 was pruned although the range of r7 decided the branch");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 20)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void ARegisterAHelperDoesNotTakeIsDeadBeforeTheCall()
    {
        // r5 differs in kind (a number, then a pointer) before bpf_map_lookup_elem, which takes
        // r1 and r2 only and clobbers r5: the second path is pruned at the head.
        var result = VerifyMeeting("", """
            stw [%r10-8], 0
            mov %r2, %r10
            add %r2, -8
            lddw %r1, map_idx(0)
            call 1
            """, second: "mov %r5, %r10");
        Assert.That(result.Diagnostics, Is.Empty);
        const int call = 22;
        Assert.That(result.Log!.Any(line => line.StartsWith($"{call}: call 1", StringComparison.Ordinal)), "the program's layout changed: fix the instruction number");
        Assert.That(TimesProcessed(result, call), Is.EqualTo(1), "the second path was not pruned: r5 counted as read by a helper with two arguments");
    }

    [Test]
    public void TheBoundAValueWasComparedWithIsPreciseWhereTheValueIsAnOffset()
    {
        // r7 (0 .. 255) < r8 (0 .. 7) keeps the offset inside the value on the first path; the
        // second path's bound r8 = 100 lets r7 reach 99: r8 decided nothing by itself at the branch,
        // but what r7 learned there came from it.
        var result = VerifyMeeting("ldxb %r8, [%r0+2]\nand %r8, 7", """
            jge %r7, %r8, done
            add %r1, %r7
            ldxb %r2, [%r1+0]
            """, second: "mov %r8, 100");
        Assert.That(result.IsAccepted, Is.False, "the path with r8 = 100 was pruned although r8 bounded the offset r7");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 21)), result.Diagnostics[0].ToString());
    }

    [Test]
    public void ACopyThatLearnedFromABranchIsPreciseWhereItIsAnOffset()
    {
        // On the first path r9 is a copy of r7 (linked): the branch on r7 bounds r9 too, then r7 is
        // overwritten and r9 is the offset. On the second r9 is loaded anew, so the branch bounds
        // nothing of it: the ranges at the head are the same, only the link differs.
        var result = VerifyMeeting("mov %r9, %r7", """
            jgt %r7, 7, done
            mov %r7, 0
            add %r1, %r9
            ldxb %r2, [%r1+0]
            """, second: "ldxb %r9, [%r0+3]");
        Assert.That(result.IsAccepted, Is.False, "the path whose r9 is not r7's copy was pruned");
        Assert.That((result.Diagnostics[0].Code, result.Diagnostics[0].Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 21)), result.Diagnostics[0].ToString());
    }
}
