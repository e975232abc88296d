namespace Bpf.Verification;

/// <summary>The answer to a context access: allowed, and what a load gives, or refused and why.</summary>
/// <param name="Allowed">True if the access is allowed.</param>
/// <param name="Field">The field accessed, when the offset is inside one.</param>
/// <param name="Value">What a load gives (<see cref="ContextValue.Scalar"/> for stores and refusals).</param>
/// <param name="Reason">Why the access is refused, in the kernel's words where it has them; null when allowed.</param>
public readonly record struct ContextAccessVerdict(bool Allowed, ContextFieldRule? Field, ContextValue Value, string? Reason)
{
    /// <summary>An allowed access of <paramref name="field"/>.</summary>
    public static ContextAccessVerdict Allow(ContextFieldRule field, ContextValue value) => new(true, field, value, null);

    /// <summary>A refused access.</summary>
    public static ContextAccessVerdict Deny(ContextFieldRule? field, string reason) => new(false, field, ContextValue.Scalar, reason);
}
