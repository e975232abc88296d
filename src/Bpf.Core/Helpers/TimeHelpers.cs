using System.Diagnostics;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Clock helpers.</summary>
public static class TimeHelpers
{
    private static readonly double s_nanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    /// <summary>
    /// <c>bpf_ktime_get_ns</c> (helper 5): nanoseconds of a monotonic clock. Never zero, as on Linux
    /// where the clock counts from boot.
    /// </summary>
    public static ulong KtimeGetNs(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        ulong now = (ulong)(Stopwatch.GetTimestamp() * s_nanosecondsPerTick);
        return now == 0 ? 1 : now;
    }
}
