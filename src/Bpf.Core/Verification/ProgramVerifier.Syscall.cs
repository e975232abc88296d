using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Verification;

/// <summary>
/// Syscall programs (<c>BPF_PROG_TYPE_SYSCALL</c>): r1 is the caller's argument block, which Linux's
/// <c>syscall_prog_is_valid_access</c> lets the program read and write at any offset below 65535
/// aligned to the access size, through the unmodified pointer (the offset in the instruction).
/// The runtime gives the program a block that covers all of them (<see cref="SyscallContext"/>).
/// </summary>
public sealed partial class ProgramVerifier
{
    private bool IsSyscallProgram => _options.Type.Kind == BpfProgramKind.Syscall && _options.Type.Context is null;

    private RegisterState SyscallContextAccess(int pc, int register, RegisterState pointer, short offset, int size, bool write, RegisterState? stored)
    {
        string Involved() => Describe(register, pointer);
        if (!pointer.Value.IsConstant || pointer.Value.ConstantValue != 0)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"variable ctx access through r{register} disallowed: syscall arguments are read at constant offsets", Involved());
        if (pointer.Offset != 0)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"dereference of modified ctx ptr r{register} off={pointer.Offset} disallowed: put the offset in the instruction", Involved());
        // The instruction's 16-bit offset cannot reach 65535: only negative and misaligned ones are wrong.
        if (offset < 0 || offset % size != 0)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"invalid bpf_context access off={offset} size={size}: syscall arguments are accessed below offset {SyscallContext.MaxArgumentSize}, aligned to the size", Involved());
        if (write && stored is { IsPointer: true } && Strict)
            throw RejectStrict(DiagnosticCode.PointerLeak, pc, "storing a pointer into the argument block the caller reads", Involved());
        return RegisterState.FromScalar(size == 8 ? Scalar.Unknown : Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1));
    }
}
