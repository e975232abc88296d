using System.Runtime.InteropServices;

namespace Bpf.Helpers;

/// <summary>
/// The Linux clocks the time helpers read (<c>clock_gettime</c>), for those .NET has no API for:
/// boot time (monotonic time plus time spent suspended), the coarse monotonic clock (the time of
/// the last tick, as <c>ktime_get_coarse_ns</c>), and TAI. Off Linux, or when the C library cannot
/// be reached, <see cref="TryRead"/> says so and the helpers fall back to the nearest .NET clock.
/// </summary>
internal static unsafe partial class LinuxClocks
{
    /// <summary><c>CLOCK_MONOTONIC_COARSE</c>.</summary>
    public const int MonotonicCoarse = 6;

    /// <summary><c>CLOCK_BOOTTIME</c>.</summary>
    public const int BootTime = 7;

    /// <summary><c>CLOCK_TAI</c>.</summary>
    public const int Tai = 11;

    private static readonly bool s_available = OperatingSystem.IsLinux() && Probe();

    /// <summary>Reads clock <paramref name="clock"/> in nanoseconds; false off Linux.</summary>
    public static bool TryRead(int clock, out ulong nanoseconds)
    {
        nanoseconds = 0;
        if (!s_available)
            return false;
        TimeSpec time;
        if (GetTime(clock, &time) != 0)
            return false;
        nanoseconds = (ulong)time.Seconds * 1_000_000_000 + (ulong)time.Nanoseconds;
        return true;
    }

    private static bool Probe()
    {
        try
        {
            TimeSpec time;
            return GetTime(BootTime, &time) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int GetTime(int clock, TimeSpec* time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
