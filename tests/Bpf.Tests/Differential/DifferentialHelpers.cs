using System.Numerics;
using Bpf.Helpers;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>
/// The helpers generated programs call: deterministic mixes of their arguments, one a static
/// method (compiled code calls it directly) and one a closure (called through the delegate).
/// The registry holds nothing else, so that no call, not even a <c>callx</c> through a register
/// holding an arbitrary small number, reaches a helper whose result is not reproducible.
/// </summary>
public static class DifferentialHelpers
{
    /// <summary>The number of the static mixing helper.</summary>
    public const int MixId = 1000;

    /// <summary>The number of the closure mixing helper.</summary>
    public const int SaltedMixId = 1001;

    /// <summary>A number no helper has, for <c>callx</c> that must stop the program.</summary>
    public const int UnregisteredId = 424_242;

    /// <summary>Mixes r1-r5 so that every argument and every bit position matters.</summary>
    public static ulong Mix(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        (r1 * 0x9E3779B97F4A7C15UL) ^ BitOperations.RotateLeft(r2, 13) ^ (r3 + 0x1234_5678_9ABC_DEF1UL) ^ BitOperations.RotateLeft(r4, 29) ^ ~r5;

    /// <summary>A registry holding only the two mixing helpers.</summary>
    public static HelperRegistry CreateRegistry()
    {
        ulong salt = 0xA5A5_0F0F_F0F0_5A5AUL;
        return new HelperRegistry()
            .Register(MixId, "test_mix", Mix)
            .Register(SaltedMixId, "test_mix_salted", (r1, r2, r3, r4, r5, invocation) => Mix(r5, r4, r3, r2, r1, invocation) + salt);
    }
}
