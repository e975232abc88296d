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

    /// <summary>The helpers programs may call, by number.</summary>
    public HelperRegistry Helpers { get; init; } = HelperRegistry.Default;

    /// <summary>Where <c>bpf_trace_printk</c> output goes, one line per call; null drops it.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>What helpers like <c>bpf_get_current_pid_tgid</c> report about "the current task".</summary>
    public HostIdentity Host { get; init; } = HostIdentity.Current;
}
