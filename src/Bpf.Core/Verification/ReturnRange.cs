namespace Bpf.Verification;

/// <summary>
/// The values a program or callback may return in r0, inclusive, as the kernel's
/// <c>struct bpf_retval_range</c>: the verifier requires r0's signed 64-bit bounds
/// (<c>smin</c>, <c>smax</c>) to lie inside it at every exit.
/// </summary>
/// <param name="Minimum">The smallest value allowed.</param>
/// <param name="Maximum">The largest value allowed.</param>
public readonly record struct ReturnRange(long Minimum, long Maximum)
{
    /// <summary>[0, 1]: the kernel's default, for callbacks and the program types that return a yes or no.</summary>
    public static ReturnRange ZeroOrOne { get; } = new(0, 1);

    /// <summary>True if <paramref name="value"/> is allowed.</summary>
    public bool Contains(long value) => value >= Minimum && value <= Maximum;

    /// <summary>True if every value from <paramref name="smin"/> to <paramref name="smax"/> is allowed.</summary>
    public bool Contains(long smin, long smax) => smin >= Minimum && smax <= Maximum;

    /// <inheritdoc/>
    public override string ToString() => $"[{Minimum}, {Maximum}]";
}
