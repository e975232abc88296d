using Bpf.Helpers;
using Microsoft.Extensions.Logging;

namespace Bpf.Runtime;

/// <summary>How an engine prepares and runs a program.</summary>
public sealed record ExecutionOptions
{
    private readonly Action<string>? _trace;
    private readonly ILogger? _logger;
    private readonly Action<string>? _loggerTrace;

    /// <summary>The instruction budget of checked mode unless a host sets another.</summary>
    public const long DefaultInstructionBudget = 100_000_000;

    /// <summary>
    /// The default options: the built-in helpers, no trace sink, and <see cref="Safety"/> left to the
    /// caller's level (verified for programs of objects, checked for bare images given to an engine).
    /// </summary>
    public static ExecutionOptions Default { get; } = new();

    /// <summary>The default options in checked mode (<see cref="ProgramSafety.Checked"/>) at every level.</summary>
    public static ExecutionOptions CheckedDefault { get; } = new() { Safety = ProgramSafety.Checked };

    /// <summary>
    /// What keeps the program from touching memory it should not. Null (the default) lets the level
    /// that prepares the program decide: <see cref="BpfProgram.Prepare"/> (programs of objects, what
    /// hosts use) verifies them (<see cref="ProgramSafety.Verified"/>); an engine given a bare
    /// <see cref="ProgramImage"/> runs it in checked mode (<see cref="ProgramSafety.Checked"/>), since
    /// such images are often instruction-set tests the verifier is not meant for.
    /// </summary>
    public ProgramSafety? Safety { get; init; }

    /// <summary>
    /// Whether programs run with run-time checks (what engines read): true in checked mode and when
    /// <see cref="Safety"/> is left unset (which is checked mode for an engine given a bare image);
    /// false for verified and trusted programs. Setting it is the older spelling of
    /// <see cref="Safety"/>: true is <see cref="ProgramSafety.Checked"/>, false
    /// <see cref="ProgramSafety.Verified"/> (the program is verified before it runs unchecked; hosts
    /// that vouch for a program themselves say <see cref="ProgramSafety.Trusted"/>).
    /// </summary>
    /// <remarks>
    /// Checked mode is for code no verifier has proved safe: every load, store and atomic is
    /// bounds-checked against the regions the program was given (its input and its stack frames),
    /// stack frames start zeroed so no host data leaks into the program, and the instruction budget
    /// stops runaway loops. A violation stops the program with a <see cref="BpfRuntimeException"/>
    /// naming the instruction.
    /// </remarks>
    public bool Checked
    {
        get => Safety is null or ProgramSafety.Checked;
        init => Safety = value ? ProgramSafety.Checked : ProgramSafety.Verified;
    }

    /// <summary>
    /// In checked mode, how many instructions one run may execute before it is stopped. The
    /// interpreter counts every instruction; compiled code counts loop iterations by the length
    /// of the loop body, so it may stop a little earlier.
    /// </summary>
    public long InstructionBudget { get; init; } = DefaultInstructionBudget;

    /// <summary>
    /// What the verifier proved about the program's instructions (<see cref="Verification.VerificationResult.Facts"/>),
    /// which a compiler may use to leave out code for cases that cannot happen (a zero divisor, say).
    /// Used only without checked mode and only for the very code the facts were proven for
    /// (<see cref="Verification.ProvenFacts.AreFor"/>): a tail-called program prepared with its caller's
    /// options does not get the caller's facts. <see cref="BpfProgram.Prepare"/> sets it.
    /// </summary>
    public Verification.ProvenFacts? Facts { get; init; }

    /// <summary>
    /// The verifier's policy when a program must be verified (not <see cref="Checked"/>):
    /// <see cref="Verification.VerifierPolicy.Strict"/> by default (no reads of stack the program did
    /// not write, since unchecked frames are not cleared; no pointers escaping to the host), or
    /// <see cref="Verification.VerifierPolicy.Privileged"/> for Linux's rules for root.
    /// </summary>
    public Verification.VerifierPolicy VerifierPolicy { get; init; } = Verification.VerifierPolicy.Strict;

    /// <summary>The helpers programs may call, by number.</summary>
    public HelperRegistry Helpers { get; init; } = HelperRegistry.Default;

    /// <summary>
    /// Where <c>bpf_trace_printk</c> (and <c>bpf_printk</c>, <c>bpf_trace_vprintk</c>) output goes,
    /// one line per call; null drops it unless <see cref="Logger"/> is set.
    /// </summary>
    public Action<string>? Trace
    {
        get => _trace ?? _loggerTrace;
        init => _trace = value;
    }

    /// <summary>
    /// A logger that receives the trace output when <see cref="Trace"/> is not set: each line is
    /// logged at <see cref="LogLevel.Information"/> with event <see cref="TraceLogging.TraceEvent"/>
    /// and the line as the <c>Line</c> property.
    /// </summary>
    public ILogger? Logger
    {
        get => _logger;
        init
        {
            _logger = value;
            _loggerTrace = value is null ? null : TraceLogging.Sink(value);
        }
    }

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
