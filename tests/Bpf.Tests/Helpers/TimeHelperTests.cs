using System.Diagnostics;
using System.Globalization;
using Bpf.Helpers;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// The clock helpers on every engine, each against a clock the test reads on its own: the
/// kernel's uptime, .NET's monotonic and wall clocks.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class TimeHelperTests(string engine)
{
    private static ulong MonotonicNanoseconds() => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    [Test]
    public void BootTimeIsTheKernelsUptime()
    {
        if (!File.Exists("/proc/uptime"))
            Assert.Ignore("needs Linux's /proc/uptime to compare with");
        double before = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        double boot = Run(engine, "call 125\nexit") / 1e9;
        double after = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.That(boot, Is.InRange(before - 0.02, after + 0.02), "/proc/uptime counts CLOCK_BOOTTIME in hundredths of a second");
    }

    [Test]
    public void BootTimeIsNeverBehindTheMonotonicClock()
    {
        // Boot time is monotonic time plus time suspended: program order gives monotonic first.
        ulong difference = Run(engine, "call 5\nmov %r6, %r0\ncall 125\nsub %r0, %r6\nexit");
        Assert.That((long)difference, Is.InRange(0L, long.MaxValue));
    }

    [Test]
    public void CoarseTimeIsTheMonotonicClockUpToATick()
    {
        ulong before = MonotonicNanoseconds();
        ulong coarse = Run(engine, "call 160\nexit");
        ulong after = MonotonicNanoseconds();
        Assert.That(coarse, Is.InRange(before - 20_000_000, after), "at most a tick (4 ms at 250 Hz) behind, with room for a slow machine");
    }

    [Test]
    public void TaiIsUtcPlusTheLeapSecondsTheSystemKnows()
    {
        long utc = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        long tai = (long)Run(engine, "call 208\nexit");
        // Linux's TAI is UTC plus the offset a time daemon set (0 without one, 37 s with).
        Assert.That(tai - utc, Is.InRange(-1_000_000_000L, 38_000_000_000L));
    }

    [Test]
    public void JiffiesCountMillisecondsFromLinuxsInitialValue()
    {
        ulong before = MonotonicNanoseconds() / 1_000_000;
        ulong jiffies = Run(engine, "call 118\nexit");
        ulong after = MonotonicNanoseconds() / 1_000_000;
        const ulong initialJiffies = 4_294_667_296; // (u32)(-300 * HZ) at HZ = 1000
        Assert.Multiple(() =>
        {
            Assert.That(TimeHelpers.JiffiesPerSecond, Is.EqualTo(1000));
            Assert.That(jiffies - initialJiffies, Is.InRange(before - 20, after));
        });
    }

    [Test]
    public void ClocksMoveForward()
    {
        foreach (int helper in new[] { 5, 125, 160, 208, 118 })
        {
            ulong first = Run(engine, $"call {helper}\nexit");
            Thread.Sleep(30);
            ulong second = Run(engine, $"call {helper}\nexit");
            Assert.That(second, Is.GreaterThan(first), $"helper {helper}");
        }
    }
}
