namespace Bpf.Verification;

/// <summary>
/// What the verifier proved about the operands of one instruction on every path that reaches it
/// (<see cref="ProvenFacts"/>). Each flag lets a compiler drop the code that handles a case the
/// program can never hit. Only register operands get facts: an immediate is known when compiling.
/// </summary>
[Flags]
public enum InstructionFacts : byte
{
    /// <summary>Nothing proven.</summary>
    None = 0,

    /// <summary>
    /// <c>div</c>, <c>mod</c>, <c>sdiv</c>, <c>smod</c> by a register: the divisor, read at the
    /// operation's width (the low 32 bits for the 32-bit forms), is never 0, so BPF's <c>x / 0 = 0</c>
    /// and <c>x % 0 = x</c> never apply.
    /// </summary>
    DivisorNonZero = 1,

    /// <summary>
    /// <c>sdiv</c>, <c>smod</c> by a register: the divisor is never -1 or the dividend is never the
    /// most negative value (at the operation's width), so the one signed quotient that overflows,
    /// <c>INT_MIN / -1</c>, never happens.
    /// </summary>
    NoSignedOverflow = 2,

    /// <summary>
    /// <c>lsh</c>, <c>rsh</c>, <c>arsh</c> by a register: the count, read at the operation's width,
    /// is below the width (64 or 32), so masking it changes nothing.
    /// </summary>
    ShiftCountInRange = 4,
}
