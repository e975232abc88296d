using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The memory rules of the verifier, one at a time, each with a safe and an unsafe program in
/// assembly: variable-offset stack access, alignment, context access by the program type's rules,
/// and the differences between the strict and privileged policies. The cases in
/// <see cref="KernelCases"/> need no maps, so they are also loaded into the running kernel (as root:
/// the privileged rules), whose verdict must be the one written here and the one the verifier gives
/// under <see cref="VerifierPolicy.Privileged"/>.
/// </summary>
public class VerifierMemoryRuleTests
{
    private const string Random = "call 7\n"; // bpf_get_prandom_u32: a number the verifier knows nothing of

    // r1 = fp-16 + (random & 8): one of the two slots fp-16 and fp-8.
    private const string VariableSlot = Random + "and %r0, 8\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\n";
    private const string BothSlotsWritten = "stdw [%r10-16], 1\nstdw [%r10-8], 2\n";

    private static readonly BpfMap s_hash = MapFactory.Create(new BpfMapDefinition { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 16, MaxEntries = 8 });

    [OneTimeTearDown]
    public static void FreeMaps() => s_hash.Dispose();

    private static ProgramType Xdp => ProgramType.ForKind(BpfProgramKind.Xdp);

    private static ProgramType Tc => ProgramType.ForKind(BpfProgramKind.SchedCls);

    private static ProgramType Socket => ProgramType.ForKind(BpfProgramKind.SocketFilter);

    private static VerificationResult Verify(string source, VerifierPolicy policy, ProgramType? type = null, bool strictAlignment = false) =>
        ProgramVerifier.Verify(Assembler.Assemble(source), new VerifierOptions
        {
            Type = type ?? Xdp,
            Maps = [s_hash],
            Policy = policy,
            StrictAlignment = strictAlignment,
        });

    private static void Accepted(string source, VerifierPolicy policy, ProgramType? type = null, bool strictAlignment = false)
    {
        var result = Verify(source, policy, type, strictAlignment);
        Assert.That(result.Diagnostics, Is.Empty, $"the safe program was rejected under the {policy} policy");
    }

    private static VerificationDiagnostic Rejected(string source, DiagnosticCode code, int instruction, VerifierPolicy policy, ProgramType? type = null, bool strictAlignment = false)
    {
        var result = Verify(source, policy, type, strictAlignment);
        Assert.That(result.IsAccepted, Is.False, $"the unsafe program was accepted under the {policy} policy");
        var diagnostic = result.Diagnostics[0];
        Assert.That((diagnostic.Code, diagnostic.Instruction), Is.EqualTo((code, instruction)), diagnostic.ToString());
        Assert.That(diagnostic.ToString(), Does.StartWith($"BPF{(int)code:D4}: insn {instruction} ("));
        return diagnostic;
    }

    private static void RejectedByBoth(string source, DiagnosticCode code, int instruction, ProgramType? type = null, bool strictAlignment = false)
    {
        Rejected(source, code, instruction, VerifierPolicy.Strict, type, strictAlignment);
        Rejected(source, code, instruction, VerifierPolicy.Privileged, type, strictAlignment);
    }

    private static void AcceptedByBoth(string source, ProgramType? type = null, bool strictAlignment = false)
    {
        Accepted(source, VerifierPolicy.Strict, type, strictAlignment);
        Accepted(source, VerifierPolicy.Privileged, type, strictAlignment);
    }

    // ---- variable-offset stack access ----

    [Test]
    public void VariableOffsetReadsNeedEveryByteTheyMayRead()
    {
        AcceptedByBoth(BothSlotsWritten + VariableSlot + "ldxdw %r0, [%r1+0]\nexit");
        // fp-8 was never written: strict refuses; Linux lets root read it as an unknown number.
        var error = Rejected("stdw [%r10-16], 1\n" + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", DiagnosticCode.UninitializedStack, 6, VerifierPolicy.Strict);
        Assert.That(error.Message, Does.Contain("fp-8 was not written"));
        Accepted("stdw [%r10-16], 1\n" + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", VerifierPolicy.Privileged);
    }

    [Test]
    public void VariableOffsetsMustStayInTheFrame()
    {
        // fp-8 + (0 or 16) reaches past the frame pointer.
        const string beyond = Random + "and %r0, 16\nmov %r1, %r10\nadd %r1, -8\nadd %r1, %r0\nldxb %r0, [%r1+0]\nexit";
        var error = Rejected("stdw [%r10-8], 0\n" + beyond, DiagnosticCode.OutOfBounds, 6, VerifierPolicy.Privileged);
        Assert.That(error.Message, Does.Contain("fp-8 to fp8"));
        AcceptedByBoth("stdw [%r10-8], 0\n" + beyond.Replace("and %r0, 16", "and %r0, 7", StringComparison.Ordinal));
    }

    [Test]
    public void StackPointersTakeOnlyBoundedNumbers()
    {
        AcceptedByBoth(BothSlotsWritten + VariableSlot + "mov %r0, 0\nexit");
        // Linux refuses subtraction from stack pointers, even of constants.
        RejectedByBoth("mov %r1, %r10\nsub %r1, 8\nstdw [%r1+0], 0\nmov %r0, 0\nexit", DiagnosticCode.InvalidPointerArithmetic, 1);
        // The random number is unbounded: fp + r0 could be anywhere.
        RejectedByBoth(Random + "mov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nmov %r0, 0\nexit", DiagnosticCode.InvalidPointerArithmetic, 3);
    }

    [Test]
    public void VariableOffsetReadsOfSpilledPointersGiveNumbers()
    {
        const string spill = "stxdw [%r10-16], %r10\nstdw [%r10-8], 2\n";
        Accepted(spill + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", VerifierPolicy.Privileged);
        Rejected(spill + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", DiagnosticCode.PointerLeak, 7, VerifierPolicy.Strict);
        // What was read is a number, not the pointer: it cannot be dereferenced.
        Rejected(spill + VariableSlot + "ldxdw %r0, [%r1+0]\nldxdw %r0, [%r0-8]\nexit", DiagnosticCode.NotAPointer, 8, VerifierPolicy.Privileged);
    }

    [Test]
    public void VariableOffsetReadsOfZerosGiveZero()
    {
        // Zeros stored by 4-byte stores are zeros at any offset; an 8-byte store of 0 spills a
        // register, which a variable-offset read sees only as data (Linux's mark_reg_stack_read).
        // Linux 6.18 is less precise with the first case: a 4-byte store at an 8-aligned offset is
        // a partial spill there, and the next store into the slot turns it into unknown data, so
        // the kernel refuses the first program (the verifier knows more, and stays sound).
        const string halves = "stw [%r10-16], 0\nstw [%r10-12], 0\nstw [%r10-8], 0\nstw [%r10-4], 0\n";
        const string use = "ldxdw %r0, [%r1+0]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit";
        AcceptedByBoth(halves + VariableSlot + use);
        RejectedByBoth("stdw [%r10-16], 0\nstdw [%r10-8], 0\n" + VariableSlot + use, DiagnosticCode.NotAPointer, 9);
    }

    [Test]
    public void VariableOffsetWritesMayWriteAnyByteOfTheirRange()
    {
        // Written slots stay readable; a constant-offset read after the write sees data.
        AcceptedByBoth(BothSlotsWritten + VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nexit");
        // Unwritten slots: strict refuses the write, since fp-16 may still hold old data after it.
        Rejected(VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nexit", DiagnosticCode.UninitializedStack, 5, VerifierPolicy.Strict);
        Accepted(VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nexit", VerifierPolicy.Privileged);
    }

    [Test]
    public void VariableOffsetWritesDestroySpilledPointers()
    {
        const string spill = "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\n";
        const string writeThenFill = spill + VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nldxdw %r0, [%r0-8]\nexit";
        Rejected(writeThenFill, DiagnosticCode.NotAPointer, 9, VerifierPolicy.Privileged);
        Rejected(writeThenFill, DiagnosticCode.PointerLeak, 7, VerifierPolicy.Strict);
        // Without the write, the spilled pointer comes back.
        AcceptedByBoth(spill + VariableSlot + "ldxdw %r0, [%r10-16]\nldxdw %r0, [%r0-8]\nexit");
    }

    [Test]
    public void VariableOffsetWritesOfZeroKeepZeros()
    {
        // fp-16 stays a known 0, so the dereference of r0 below is dead code.
        const string zeros = "stdw [%r10-16], 0\nstdw [%r10-8], 0\n" + VariableSlot;
        AcceptedByBoth(zeros + "stdw [%r1+0], 0\nldxdw %r0, [%r10-16]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit");
        RejectedByBoth(zeros + "stdw [%r1+0], 1\nldxdw %r0, [%r10-16]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit", DiagnosticCode.NotAPointer, 10);
    }

    [Test]
    public void HelpersTakeStackMemoryAtVariableOffsets()
    {
        // bpf_map_lookup_elem(&hash, &keys[i]) with keys[] written: allowed under both policies.
        const string lookup = "lddw %r1, map_idx(0)\ncall 1\nmov %r0, 0\nexit";
        AcceptedByBoth(BothSlotsWritten + Random + "and %r0, 12\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r0\n" + lookup);
        // keys[3] may be read but fp-4 was never written.
        Rejected("stdw [%r10-16], 1\n" + Random + "and %r0, 12\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r0\n" + lookup,
            DiagnosticCode.UninitializedStack, 8, VerifierPolicy.Strict);
        Accepted("stdw [%r10-16], 1\n" + Random + "and %r0, 12\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r0\n" + lookup, VerifierPolicy.Privileged);
        // keys[4] would be past the frame.
        RejectedByBoth(BothSlotsWritten + Random + "and %r0, 16\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r0\n" + lookup, DiagnosticCode.OutOfBounds, 9);
    }

    // ---- alignment ----

    [Test]
    public void StackAccessesAreAlwaysAligned()
    {
        AcceptedByBoth("stdw [%r10-16], 0\nldxh %r0, [%r10-14]\nexit");
        var error = RejectedByBoth2("stdw [%r10-12], 0\nmov %r0, 0\nexit", DiagnosticCode.Misaligned, 0);
        Assert.That(error.Message, Does.Contain("misaligned stack access of 8 bytes at offset -12"));
        RejectedByBoth("stdw [%r10-16], 0\nldxh %r0, [%r10-13]\nexit", DiagnosticCode.Misaligned, 1);
        // At a variable offset every possible address must be aligned: fp-16 + (0 or 4) is not, for 8 bytes.
        RejectedByBoth(BothSlotsWritten + Random + "and %r0, 4\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nldxdw %r0, [%r1+0]\nexit", DiagnosticCode.Misaligned, 7);
    }

    [Test]
    public void MapValuesAreAlignedOnlyUnderStrictAlignment()
    {
        const string lookup = "stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\njne %r0, 0, +1\nexit\n";
        AcceptedByBoth(lookup + "ldxw %r0, [%r0+2]\nexit");
        RejectedByBoth(lookup + "ldxw %r0, [%r0+2]\nexit", DiagnosticCode.Misaligned, 8, strictAlignment: true);
        AcceptedByBoth(lookup + "ldxw %r0, [%r0+4]\nexit", strictAlignment: true);
    }

    [Test]
    public void AtomicOperationsAreAlwaysAligned()
    {
        const string lookup = "stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\njne %r0, 0, +1\nexit\nmov %r1, 1\n";
        AcceptedByBoth(lookup + "lock add [%r0+8], %r1\nmov %r0, 0\nexit");
        var error = RejectedByBoth2(lookup + "lock add [%r0+4], %r1\nmov %r0, 0\nexit", DiagnosticCode.Misaligned, 9);
        Assert.That(error.Message, Does.Contain("atomic operations must be aligned"));
        RejectedByBoth(lookup + "lock add32 [%r0+2], %r1\nmov %r0, 0\nexit", DiagnosticCode.Misaligned, 9);
        RejectedByBoth(lookup + "ldacqdw %r2, [%r0+4]\nmov %r0, 0\nexit", DiagnosticCode.Misaligned, 9);
    }

    [Test]
    public void AtomicOperationsOnTheStackNeedAConstantOffsetAndNoPointer()
    {
        AcceptedByBoth("stdw [%r10-8], 0\nmov %r2, 1\nlock add [%r10-8], %r2\nmov %r0, 0\nexit");
        RejectedByBoth(BothSlotsWritten + VariableSlot + "mov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit", DiagnosticCode.OutOfBounds, 8);
        // Adding to a spilled pointer makes a number of it: strict refuses, Linux lets root do it.
        Rejected("stxdw [%r10-8], %r10\nmov %r2, 1\nlock add [%r10-8], %r2\nmov %r0, 0\nexit", DiagnosticCode.PointerLeak, 2, VerifierPolicy.Strict);
        Accepted("stxdw [%r10-8], %r10\nmov %r2, 1\nlock add [%r10-8], %r2\nmov %r0, 0\nexit", VerifierPolicy.Privileged);
        // A load-acquire of it gives the pointer back, as a plain load does.
        AcceptedByBoth("stxdw [%r10-8], %r10\nldacqdw %r1, [%r10-8]\nstdw [%r1-16], 0\nmov %r0, 0\nexit");
    }

    [Test]
    public void HelpersMemoryIsNotAlignmentChecked()
    {
        // csum_diff(data, 4, NULL, 0, 0) with data two bytes off alignment (NET_IP_ALIGN): a load there would be refused.
        const string csum = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, +8\nmov %r1, %r2\nmov %r2, 4\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 0\nexit\nmov %r0, 2\nexit";
        AcceptedByBoth(csum, strictAlignment: true);
        RejectedByBoth(csum.Replace("mov %r1, %r2\n", "ldxw %r0, [%r2+0]\n", StringComparison.Ordinal), DiagnosticCode.Misaligned, 5, strictAlignment: true);
    }

    [Test]
    public void PacketsAreAlignedAsIfTwoBytesPastAnAlignedAddressUnderStrictAlignment()
    {
        // data + 8 <= data_end, then a 4-byte load at data + off.
        static string Load(string load) => $"ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, +2\n{load}\nexit\nmov %r0, 2\nexit";
        AcceptedByBoth(Load("ldxw %r0, [%r2+0]"));
        RejectedByBoth(Load("ldxw %r0, [%r2+0]"), DiagnosticCode.Misaligned, 5, strictAlignment: true);
        AcceptedByBoth(Load("ldxw %r0, [%r2+2]"), strictAlignment: true);
        RejectedByBoth(Load("ldxh %r0, [%r2+1]"), DiagnosticCode.Misaligned, 5, strictAlignment: true);
    }

    // ---- context access ----

    [Test]
    public void ContextFieldsFollowTheTypesRules()
    {
        // __sk_buff.mark is writable by tc programs, len is not; socket filters may load narrow parts of len.
        AcceptedByBoth("stw [%r1+8], 1\nmov %r0, 0\nexit", Tc);
        var error = RejectedByBoth2("stw [%r1+0], 1\nmov %r0, 0\nexit", DiagnosticCode.InvalidContextAccess, 0, Tc);
        Assert.That(error.Message, Does.Contain("__sk_buff.len").And.Contain("read-only"));
        AcceptedByBoth("ldxb %r0, [%r1+1]\nexit", Socket);
        // xdp_md takes 4-byte loads only; socket filters get no packet pointers.
        RejectedByBoth("ldxh %r0, [%r1+0]\nexit", DiagnosticCode.InvalidContextAccess, 0);
        RejectedByBoth("ldxw %r0, [%r1+76]\nexit", DiagnosticCode.InvalidContextAccess, 0, Socket);
    }

    [Test]
    public void PacketPointerFieldsGivePacketPointers()
    {
        // tc: data and data_end, checked, then a packet load.
        AcceptedByBoth("ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r4, %r2\nadd %r4, 4\nmov %r0, 0\njgt %r4, %r3, +1\nldxw %r0, [%r2+0]\nexit", Tc);
        // Loaded by halves they would be numbers: Linux refuses that.
        RejectedByBoth("ldxh %r2, [%r1+76]\nmov %r0, 0\nexit", DiagnosticCode.InvalidContextAccess, 0, Tc);
    }

    [Test]
    public void TheSectionRefinesTheContextRules()
    {
        // egress_ifindex (offset 20) exists only for programs attached to a devmap entry.
        var options = new VerifierOptions { Type = Xdp, Policy = VerifierPolicy.Privileged };
        var code = Assembler.Assemble("ldxw %r0, [%r1+20]\nexit");
        Assert.That(ProgramVerifier.Verify(code, options with { Section = "xdp/devmap" }).Diagnostics, Is.Empty);
        var plain = ProgramVerifier.Verify(code, options with { Section = "xdp" });
        Assert.That(plain.Diagnostics.Select(d => (d.Code, d.Instruction)), Is.EqualTo(new[] { (DiagnosticCode.InvalidContextAccess, 0) }));
    }

    [Test]
    public void TheContextPointerMustNotBeMoved()
    {
        AcceptedByBoth("ldxw %r0, [%r1+12]\nexit");
        var error = RejectedByBoth2("add %r1, 12\nldxw %r0, [%r1+0]\nexit", DiagnosticCode.InvalidContextAccess, 1);
        Assert.That(error.Message, Does.Contain("moved by 12"));
    }

    [Test]
    public void AtomicOperationsOnTheContextAreRefused()
    {
        AcceptedByBoth("mov %r2, 1\nstw [%r1+48], 1\nmov %r0, 0\nexit", Tc);
        RejectedByBoth("mov %r2, 1\nlock add32 [%r1+48], %r2\nmov %r0, 0\nexit", DiagnosticCode.InvalidContextAccess, 1, Tc);
    }

    // ---- strict and privileged policies ----

    [Test]
    public void StrictRefusesReadsOfUnwrittenStack()
    {
        AcceptedByBoth("stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit");
        var error = Rejected("ldxdw %r0, [%r10-8]\nexit", DiagnosticCode.UninitializedStack, 0, VerifierPolicy.Strict);
        Assert.That(error.Message, Does.EndWith("(strict policy; the privileged policy allows it, as Linux does for root)"));
        Accepted("ldxdw %r0, [%r10-8]\nexit", VerifierPolicy.Privileged);
        // Helpers reading unwritten stack (a key) too.
        const string lookup = "mov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\nmov %r0, 0\nexit";
        Rejected(lookup, DiagnosticCode.UninitializedStack, 4, VerifierPolicy.Strict);
        Accepted(lookup, VerifierPolicy.Privileged);
    }

    [Test]
    public void StrictRefusesOverwritingPartOfASpilledPointer()
    {
        AcceptedByBoth("stxdw [%r10-8], %r10\nstdw [%r10-8], 0\nmov %r0, 0\nexit");
        Rejected("stxdw [%r10-8], %r10\nstw [%r10-8], 0\nmov %r0, 0\nexit", DiagnosticCode.PointerLeak, 1, VerifierPolicy.Strict);
        Accepted("stxdw [%r10-8], %r10\nstw [%r10-8], 0\nmov %r0, 0\nexit", VerifierPolicy.Privileged);
        // The half that is left is never read as a pointer, under any policy.
        Rejected("stxdw [%r10-8], %r10\nstw [%r10-8], 0\nldxdw %r0, [%r10-8]\nldxdw %r0, [%r0+0]\nexit", DiagnosticCode.NotAPointer, 3, VerifierPolicy.Privileged);
    }

    [Test]
    public void StrictRefusesPointersTurnedIntoNumbers()
    {
        // A 32-bit copy of a pointer.
        Rejected("mov32 %r0, %r10\nmov %r0, 0\nexit", DiagnosticCode.PointerLeak, 0, VerifierPolicy.Strict);
        Accepted("mov32 %r0, %r10\nmov %r0, 0\nexit", VerifierPolicy.Privileged);
        // A comparison with a number.
        Rejected("mov %r0, 0\njgt %r10, 5, +1\nmov %r0, 1\nexit", DiagnosticCode.PointerLeak, 1, VerifierPolicy.Strict);
        Accepted("mov %r0, 0\njgt %r10, 5, +1\nmov %r0, 1\nexit", VerifierPolicy.Privileged);
        // Pointers into the same frame may be compared.
        AcceptedByBoth("mov %r0, 0\nmov %r2, %r10\nadd %r2, -8\njgt %r10, %r2, +1\nmov %r0, 1\nexit");
    }

    [Test]
    public void StrictRefusesPointersGivenAwayAsData()
    {
        // bpf_map_update_elem(&hash, &key, &value, flags): the flags are any number, here a pointer's value.
        const string flags = "stw [%r10-4], 1\nstdw [%r10-24], 0\nstdw [%r10-16], 0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -24\nmov %r4, %r10\nlddw %r1, map_idx(0)\ncall 2\nmov %r0, 0\nexit";
        Rejected(flags, DiagnosticCode.PointerLeak, 10, VerifierPolicy.Strict);
        Accepted(flags, VerifierPolicy.Privileged);
        AcceptedByBoth(flags.Replace("mov %r4, %r10", "mov %r4, 0", StringComparison.Ordinal));

        // bpf_map_update_elem(&hash, &key, &value) with a pointer spilled into the value.
        const string update = "stw [%r10-4], 1\nstxdw [%r10-24], %r10\nstdw [%r10-16], 0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -24\nmov %r4, 0\nlddw %r1, map_idx(0)\ncall 2\nmov %r0, 0\nexit";
        Rejected(update, DiagnosticCode.PointerLeak, 10, VerifierPolicy.Strict);
        Accepted(update, VerifierPolicy.Privileged);

        // A pointer stored into a map value or the context.
        const string lookup = "stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\njne %r0, 0, +1\nexit\n";
        Rejected(lookup + "stxdw [%r0+0], %r10\nmov %r0, 0\nexit", DiagnosticCode.PointerLeak, 8, VerifierPolicy.Strict);
        Accepted(lookup + "stxdw [%r0+0], %r10\nmov %r0, 0\nexit", VerifierPolicy.Privileged);
        Rejected("stxw [%r1+48], %r10\nmov %r0, 0\nexit", DiagnosticCode.PointerLeak, 0, VerifierPolicy.Strict, Tc);
    }

    [Test]
    public void TheDefaultPolicyIsStrict()
    {
        Assert.That(new VerifierOptions().Policy, Is.EqualTo(VerifierPolicy.Strict));
        Assert.That(ExecutionOptions.Default.VerifierPolicy, Is.EqualTo(VerifierPolicy.Strict));
    }

    // ---- the same programs in the kernel ----

    /// <summary>Programs that need no maps, with the verdict Linux 6.18 gives them as root.</summary>
    public static IEnumerable<TestCaseData> KernelCases()
    {
        static TestCaseData Case(string name, string source, bool accepted, BpfProgramKind kind = BpfProgramKind.Xdp, bool strictAlignment = false) =>
            new TestCaseData(source, kind, strictAlignment, accepted).SetName($"Kernel: {name}");

        yield return Case("variable-offset read of written stack", BothSlotsWritten + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", true);
        yield return Case("variable-offset read of unwritten stack", "stdw [%r10-16], 1\n" + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", true);
        yield return Case("variable-offset read past the frame", "stdw [%r10-8], 0\n" + Random + "and %r0, 16\nmov %r1, %r10\nadd %r1, -8\nadd %r1, %r0\nldxb %r0, [%r1+0]\nexit", false);
        yield return Case("unbounded stack offset", Random + "mov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nmov %r0, 0\nexit", false);
        yield return Case("variable-offset read of a spilled pointer", "stxdw [%r10-16], %r10\nstdw [%r10-8], 2\n" + VariableSlot + "ldxdw %r0, [%r1+0]\nexit", true);
        yield return Case("dereference of a spilled pointer read at a variable offset", "stxdw [%r10-16], %r10\nstdw [%r10-8], 2\n" + VariableSlot + "ldxdw %r0, [%r1+0]\nldxdw %r0, [%r0-8]\nexit", false);
        yield return Case("variable-offset write into unwritten stack", VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nexit", true);
        yield return Case("variable-offset write over a spilled pointer", "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\n" + VariableSlot + "stdw [%r1+0], 5\nldxdw %r0, [%r10-16]\nldxdw %r0, [%r0-8]\nexit", false);
        yield return Case("spilled pointer without a variable-offset write", "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\n" + VariableSlot + "ldxdw %r0, [%r10-16]\nldxdw %r0, [%r0-8]\nexit", true);
        yield return Case("variable-offset write of zero keeps zeros", "stdw [%r10-16], 0\nstdw [%r10-8], 0\n" + VariableSlot + "stdw [%r1+0], 0\nldxdw %r0, [%r10-16]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit", true);
        yield return Case("variable-offset write of one forgets zeros", "stdw [%r10-16], 0\nstdw [%r10-8], 0\n" + VariableSlot + "stdw [%r1+0], 1\nldxdw %r0, [%r10-16]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit", false);
        yield return Case("variable-offset read of spilled zeros", "stdw [%r10-16], 0\nstdw [%r10-8], 0\n" + VariableSlot + "ldxdw %r0, [%r1+0]\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit", false);
        yield return Case("misaligned stack store", "stdw [%r10-12], 0\nmov %r0, 0\nexit", false);
        yield return Case("misaligned stack load", "stdw [%r10-16], 0\nldxh %r0, [%r10-13]\nexit", false);
        yield return Case("aligned narrow stack load", "stdw [%r10-16], 0\nldxh %r0, [%r10-14]\nexit", true);
        yield return Case("variable-offset misaligned stack load", BothSlotsWritten + Random + "and %r0, 4\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nldxdw %r0, [%r1+0]\nexit", false);
        const string packet = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, +2\n";
        yield return Case("packet load at 0", packet + "ldxw %r0, [%r2+0]\nexit\nmov %r0, 2\nexit", true);
        yield return Case("packet load at 0, strict alignment", packet + "ldxw %r0, [%r2+0]\nexit\nmov %r0, 2\nexit", false, strictAlignment: true);
        yield return Case("packet load at 2, strict alignment", packet + "ldxw %r0, [%r2+2]\nexit\nmov %r0, 2\nexit", true, strictAlignment: true);
        yield return Case("tc store to mark", "stw [%r1+8], 1\nmov %r0, 0\nexit", true, BpfProgramKind.SchedCls);
        yield return Case("tc store to len", "stw [%r1+0], 1\nmov %r0, 0\nexit", false, BpfProgramKind.SchedCls);
        yield return Case("socket filter narrow load of len", "ldxb %r0, [%r1+1]\nexit", true, BpfProgramKind.SocketFilter);
        yield return Case("socket filter load of data", "ldxw %r0, [%r1+76]\nexit", false, BpfProgramKind.SocketFilter);
        yield return Case("xdp narrow load", "ldxh %r0, [%r1+0]\nexit", false);
        yield return Case("tc half of data", "ldxh %r2, [%r1+76]\nmov %r0, 0\nexit", false, BpfProgramKind.SchedCls);
        yield return Case("moved context pointer", "add %r1, 12\nldxw %r0, [%r1+0]\nexit", false);
        yield return Case("atomic on the context", "mov %r2, 1\nlock add32 [%r1+48], %r2\nmov %r0, 0\nexit", false, BpfProgramKind.SchedCls);
        yield return Case("pointer stored into cb", "stxw [%r1+48], %r10\nmov %r0, 0\nexit", true, BpfProgramKind.SchedCls);
        yield return Case("constant subtracted from a stack pointer", "mov %r1, %r10\nsub %r1, 8\nstdw [%r1+0], 0\nmov %r0, 0\nexit", false);
        yield return Case("number subtracted from a stack pointer", "stdw [%r10-16], 1\nstdw [%r10-8], 2\n" + Random + "and %r0, 8\nmov %r1, %r10\nadd %r1, -8\nsub %r1, %r0\nldxdw %r0, [%r1+0]\nexit", false);
        yield return Case("atomic at a variable stack offset", BothSlotsWritten + VariableSlot + "mov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit", false);
        yield return Case("atomic on a spilled pointer", "stxdw [%r10-8], %r10\nmov %r2, 1\nlock add [%r10-8], %r2\nmov %r0, 0\nexit", true);
        yield return Case("helper reading packet data under strict alignment",
            packet.Replace("+2\n", "+8\n", StringComparison.Ordinal) + "mov %r1, %r2\nmov %r2, 4\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 0\nexit\nmov %r0, 2\nexit", true, strictAlignment: true);
        yield return Case("helper output at a variable offset into unwritten stack", Random + "and %r0, 8\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nmov %r2, 8\nmov %r3, 0\ncall 113\nmov %r0, 0\nexit", true);
        yield return Case("helper output at a variable offset past the frame", Random + "and %r0, 16\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nmov %r2, 8\nmov %r3, 0\ncall 113\nmov %r0, 0\nexit", false);
        yield return Case("misaligned long output of bpf_strtol", "stdw [%r10-16], 0x31\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 1\nmov %r3, 0\nmov %r4, %r10\nadd %r4, -4\ncall 105\nmov %r0, 0\nexit", false);
        yield return Case("aligned long output of bpf_strtol", "stdw [%r10-16], 0x31\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 1\nmov %r3, 0\nmov %r4, %r10\nadd %r4, -8\ncall 105\nmov %r0, 0\nexit", true);
        yield return Case("2-byte read at any variable stack offset", BothSlotsWritten + Random + "and %r0, 3\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nldxh %r0, [%r1+0]\nexit", false);
        yield return Case("1-byte read at any variable stack offset", BothSlotsWritten + Random + "and %r0, 15\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r0\nldxb %r0, [%r1+0]\nexit", true);
        yield return Case("1-byte read of a spilled pointer", "stxdw [%r10-8], %r10\nldxb %r0, [%r10-8]\nexit", false);
        yield return Case("stack pointer stored in the caller's frame", "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nmov %r2, %r10\nstxdw [%r1+0], %r2\nmov %r0, 0\nexit", false);
        yield return Case("caller's stack pointer stored in the caller's frame", "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nstxdw [%r1+0], %r1\nmov %r0, 0\nexit", false);
        yield return Case("caller's stack pointer stored in the callee's frame", "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nstxdw [%r10-8], %r1\nmov %r0, 0\nexit", true);
        yield return Case("cgroup skb load of data", "ldxw %r2, [%r1+76]\nmov %r0, 1\nexit", true, BpfProgramKind.CgroupSkb);
        yield return Case("cgroup skb load of data_meta", "ldxw %r2, [%r1+140]\nmov %r0, 1\nexit", false, BpfProgramKind.CgroupSkb);
        yield return Case("cgroup skb store to mark", "stw [%r1+8], 1\nmov %r0, 1\nexit", true, BpfProgramKind.CgroupSkb);
        yield return Case("cgroup skb packet write", "ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r4, %r2\nadd %r4, 8\nmov %r0, 1\njgt %r4, %r3, +1\nstb [%r2+0], 1\nexit", false, BpfProgramKind.CgroupSkb);
        yield return Case("tc 4-byte store to tstamp", "stw [%r1+152], 1\nmov %r0, 0\nexit", false, BpfProgramKind.SchedCls);
        yield return Case("tc 8-byte store to tstamp", "stdw [%r1+152], 1\nmov %r0, 0\nexit", true, BpfProgramKind.SchedCls);
        yield return Case("tc sign-extending load of len", "ldxsw %r0, [%r1+0]\nexit", true, BpfProgramKind.SchedCls);
        yield return Case("tc sign-extending load of data", "ldxsw %r0, [%r1+76]\nmov %r0, 0\nexit", false, BpfProgramKind.SchedCls);
        yield return Case("tc sk checked for null", "ldxdw %r2, [%r1+168]\nmov %r0, 0\njeq %r2, 0, +1\nldxw %r0, [%r2+4]\nexit", true, BpfProgramKind.SchedCls);
        yield return Case("xdp misaligned context load", "ldxw %r0, [%r1+2]\nexit", false);
        yield return Case("load-acquire of a spilled pointer", "stxdw [%r10-8], %r10\nldacqdw %r1, [%r10-8]\nstdw [%r1-16], 0\nmov %r0, 0\nexit", true);
        yield return Case("unwritten stack read", "ldxdw %r0, [%r10-8]\nexit", true);
        yield return Case("part of a spilled pointer overwritten", "stxdw [%r10-8], %r10\nstw [%r10-8], 0\nmov %r0, 0\nexit", true);
        yield return Case("32-bit copy of a pointer", "mov32 %r0, %r10\nmov %r0, 0\nexit", true);
        yield return Case("pointer compared with a number", "mov %r0, 0\njgt %r10, 5, +1\nmov %r0, 1\nexit", true);
        const string checkedPacket = "mov %r6, %r1\nldxw %r7, [%r6+0]\nldxw %r8, [%r6+4]\nmov %r2, %r7\nadd %r2, 1\njgt %r2, %r8, +4\n";
        const string adjustHead = "mov %r1, %r6\nmov %r2, 0\ncall 44\n";
        yield return Case("packet pointer used after bpf_xdp_adjust_head", checkedPacket + adjustHead + "ldxb %r0, [%r7+0]\nmov %r0, 2\nexit", false);
        yield return Case("packet pointers reloaded and checked after bpf_xdp_adjust_head",
            checkedPacket.Replace("%r8, +4", "%r8, +9", StringComparison.Ordinal) + adjustHead + "ldxw %r7, [%r6+0]\nldxw %r8, [%r6+4]\nmov %r2, %r7\nadd %r2, 1\njgt %r2, %r8, +1\nldxb %r0, [%r7+0]\nmov %r0, 2\nexit", true);
        const string boundedIndex = "stdw [%r10-16], 0\nstdw [%r10-8], 0\ncall 7\nand %r0, 7\n";
        const string indexTheStack = "mov %r2, %r10\nadd %r2, -16\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit";
        yield return Case("bounded number through a narrow spill", boundedIndex + "stxw [%r10-8], %r0\nldxw %r1, [%r10-8]\n" + indexTheStack, true);
        yield return Case("bounded number through a narrow store off the slot's start", boundedIndex + "stxw [%r10-4], %r0\nldxw %r1, [%r10-4]\n" + indexTheStack, false);
        yield return Case("stack pointer plus stack pointer", "mov %r1, %r10\nadd %r1, %r10\nmov %r0, 0\nexit", false);
        yield return Case("context pointer plus stack pointer, dereferenced", "mov %r2, %r10\nadd %r2, %r1\nldxb %r0, [%r2+0]\nexit", false);
        yield return Case("pointer passed to trace_printk", "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r10\ncall 6\nmov %r0, 0\nexit", true);
    }

    [TestCaseSource(nameof(KernelCases))]
    public void PrivilegedVerdictsAgreeWithTheKernel(string source, BpfProgramKind kind, bool strictAlignment, bool accepted)
    {
        var ours = Verify(source, VerifierPolicy.Privileged, ProgramType.ForKind(kind), strictAlignment);
        Assert.That(ours.IsAccepted, Is.EqualTo(accepted), ours.Diagnostics.FirstOrDefault()?.ToString() ?? "accepted");
        if (!KernelVerifier.IsAvailable(out string whyNot))
            Assert.Ignore(whyNot);
        var (kernel, log) = KernelVerifier.Load(kind, Assembler.AssembleInstructions(source), flags: strictAlignment ? 1u : 0u);
        Assert.That(kernel, Is.EqualTo(accepted), log);
    }

    private static VerificationDiagnostic RejectedByBoth2(string source, DiagnosticCode code, int instruction, ProgramType? type = null)
    {
        Rejected(source, code, instruction, VerifierPolicy.Privileged, type);
        return Rejected(source, code, instruction, VerifierPolicy.Strict, type);
    }
}
