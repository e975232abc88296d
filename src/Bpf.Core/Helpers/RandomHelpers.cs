using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Pseudo-random numbers.</summary>
public static class RandomHelpers
{
    /// <summary>
    /// <c>bpf_get_prandom_u32</c> (helper 7): 32 pseudo-random bits, not fit for cryptography (as in
    /// Linux). From <see cref="Random.Shared"/>, which keeps its state per thread, so concurrent runs
    /// neither contend nor corrupt it.
    /// </summary>
    public static ulong GetPrandomU32(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        (uint)Random.Shared.NextInt64();
}
