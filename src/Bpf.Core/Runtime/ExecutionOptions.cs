using Bpf.Helpers;

namespace Bpf.Runtime;

/// <summary>How an engine prepares and runs a program.</summary>
public sealed record ExecutionOptions
{
    /// <summary>The instruction budget of checked mode unless a host sets another.</summary>
    public const long DefaultInstructionBudget = 100_000_000;

    /// <summary>The options most callers want: checked mode with the default budget and the built-in helpers.</summary>
    public static ExecutionOptions Default { get; } = new();

    /// <summary>
    /// Checked mode, for code no verifier has proved safe: every load, store and atomic is
    /// bounds-checked against the regions the program was given (its input and its stack frames),
    /// stack frames start zeroed so no host data leaks into the program, and the instruction
    /// budget stops runaway loops. A violation stops the program with a
    /// <see cref="BpfRuntimeException"/> naming the instruction. Off means the caller vouches
    /// for the program: accesses run unchecked at full speed.
    /// </summary>
    public bool Checked { get; init; } = true;

    /// <summary>
    /// In checked mode, how many instructions one run may execute before it is stopped. The
    /// interpreter counts every instruction; compiled code counts loop iterations by the length
    /// of the loop body, so it may stop a little earlier.
    /// </summary>
    public long InstructionBudget { get; init; } = DefaultInstructionBudget;

    /// <summary>
    /// The verifier's policy when a program must be verified (not <see cref="Checked"/>):
    /// <see cref="Verification.VerifierPolicy.Strict"/> by default (no reads of stack the program did
    /// not write, since unchecked frames are not cleared; no pointers escaping to the host), or
    /// <see cref="Verification.VerifierPolicy.Privileged"/> for Linux's rules for root.
    /// </summary>
    public Verification.VerifierPolicy VerifierPolicy { get; init; } = Verification.VerifierPolicy.Strict;

    /// <summary>The helpers programs may call, by number.</summary>
    public HelperRegistry Helpers { get; init; } = HelperRegistry.Default;

    /// <summary>Where <c>bpf_trace_printk</c> output goes, one line per call; null drops it.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>What helpers like <c>bpf_get_current_pid_tgid</c> report about "the current task".</summary>
    public HostIdentity Host { get; init; } = HostIdentity.Current;

    /// <summary>
    /// Memory the host lets programs read through pointers they cannot prove valid: the source of
    /// <c>bpf_probe_read*</c> (helpers 4, 45, 112-115) and the strings and addresses that
    /// <c>%s</c>, <c>%pks</c>, <c>%pI4</c>... of the print helpers follow. In user space there is no
    /// kernel memory to probe, so the host says what stands for it (structures it mirrors for a
    /// tracing program, say). Besides these regions a probe may read the program's own memory: in
    /// checked mode what the program may load from (its stack frames, input and map values); without
    /// checked mode the run's input or context, its maps' values and the live part of the calling
    /// thread's stack. A read of anything else fails with <c>-EFAULT</c> and a zeroed destination,
    /// as a faulting probe does in Linux, and never touches the memory.
    /// </summary>
    public IReadOnlyList<MemoryRegion> ProbeRegions { get; init; } = [];

    /// <summary>
    /// How long <c>bpf_spin_lock</c> waits for a lock another run holds before it stops the program
    /// with <see cref="TrapKind.SpinLock"/>: a lock still held after that long was most likely left
    /// locked by a run that stopped or exited without unlocking it, and waiting on would hang the host
    /// thread. Null waits forever, as Linux (whose verifier rules out such programs) does.
    /// </summary>
    public TimeSpan? SpinLockTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
