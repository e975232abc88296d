namespace Bpf.Runtime;

/// <summary>Why a running program was stopped.</summary>
public enum TrapKind
{
    /// <summary>A load, store or atomic touched memory outside every region the program may use.</summary>
    OutOfBounds,
    /// <summary>A store or atomic targeted a region the program may only read.</summary>
    ReadOnlyMemory,
    /// <summary>An atomic operation's address was not aligned to its size.</summary>
    Misaligned,
    /// <summary>The program ran more instructions than its budget allows (a runaway loop, most likely).</summary>
    BudgetExhausted,
    /// <summary>Calls nested deeper than the frame limit.</summary>
    CallDepthExceeded,
    /// <summary>A <c>callx</c> named no helper or function the program can call.</summary>
    BadCallTarget,
    /// <summary>An instruction refers to something (a map, a kfunc) that nothing resolved.</summary>
    Unresolved,
    /// <summary>
    /// A <c>bpf_spin_lock</c> the run cannot take (it already holds it, or it stayed held past
    /// <see cref="ExecutionOptions.SpinLockTimeout"/>) or a <c>bpf_spin_unlock</c> of a lock the run does not hold.
    /// </summary>
    SpinLock,
}
