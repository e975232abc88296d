using System.Diagnostics;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Clock helpers.</summary>
public static class TimeHelpers
{
    /// <summary>
    /// The tick rate of <c>bpf_jiffies64</c> (Linux's <c>CONFIG_HZ</c>, which depends on how the
    /// kernel was built; 1000 here). A loader that resolves <c>CONFIG_HZ</c> for a program should use it.
    /// </summary>
    public const int JiffiesPerSecond = 1000;

    /// <summary>
    /// Linux's <c>INITIAL_JIFFIES</c>: jiffies start 300 seconds short of wrapping 32 bits, so that
    /// code mishandling the wrap fails early. <c>bpf_jiffies64</c> counts from it as Linux does.
    /// </summary>
    public const ulong InitialJiffies = unchecked((uint)(-300 * JiffiesPerSecond));

    /// <summary>The offset of TAI from UTC (leap seconds since 1972), used where the system has no TAI clock.</summary>
    private const long TaiMinusUtcSeconds = 37;

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

    /// <summary>
    /// <c>bpf_ktime_get_boot_ns</c> (helper 125): nanoseconds since boot including time suspended
    /// (<c>CLOCK_BOOTTIME</c>); off Linux, the clock of <see cref="KtimeGetNs"/>.
    /// </summary>
    public static ulong KtimeGetBootNs(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        LinuxClocks.TryRead(LinuxClocks.BootTime, out ulong now) ? now : KtimeGetNs(r1, r2, r3, r4, r5, invocation);

    /// <summary>
    /// <c>bpf_ktime_get_coarse_ns</c> (helper 160): the monotonic clock at the last timer tick
    /// (<c>CLOCK_MONOTONIC_COARSE</c>): cheaper and up to a tick behind; off Linux, the clock of <see cref="KtimeGetNs"/>.
    /// </summary>
    public static ulong KtimeGetCoarseNs(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        LinuxClocks.TryRead(LinuxClocks.MonotonicCoarse, out ulong now) ? now : KtimeGetNs(r1, r2, r3, r4, r5, invocation);

    /// <summary>
    /// <c>bpf_ktime_get_tai_ns</c> (helper 208): International Atomic Time in nanoseconds since the
    /// epoch (<c>CLOCK_TAI</c>, which Linux keeps at UTC plus the offset time daemons set, 0 until one
    /// does); off Linux, UTC plus the 37 leap seconds.
    /// </summary>
    public static ulong KtimeGetTaiNs(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (LinuxClocks.TryRead(LinuxClocks.Tai, out ulong now))
            return now;
        long utc = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * (1_000_000_000 / TimeSpan.TicksPerSecond);
        return (ulong)(utc + TaiMinusUtcSeconds * 1_000_000_000);
    }

    /// <summary>
    /// <c>bpf_jiffies64</c> (helper 118): timer ticks (<see cref="JiffiesPerSecond"/> a second) of
    /// the coarse monotonic clock, counted from <see cref="InitialJiffies"/> as Linux counts them from boot.
    /// </summary>
    public static ulong Jiffies64(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        InitialJiffies + KtimeGetCoarseNs(r1, r2, r3, r4, r5, invocation) / (1_000_000_000 / JiffiesPerSecond);
}
