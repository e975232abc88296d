using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>The "current task" helpers (14, 15, 16, 35) report the host identity of the options, on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class CurrentTaskHelperTests(string engine)
{
    private static ExecutionOptions With(HostIdentity host) => Checked with { Host = host };

    [Test]
    public void PidTgidHasTheProcessAboveTheThread()
    {
        var options = With(new HostIdentity(1234, 5678, 1000, 2000, "prog"));
        Assert.That(Run(engine, "call 14\nexit", options: options), Is.EqualTo(0x0000_04D2_0000_162EUL));
    }

    [Test]
    public void ThreadIdZeroMeansTheCallingThread()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("the thread id to compare with comes from Linux's /proc/thread-self");
        // /proc/thread-self links to "<pid>/task/<tid>" of the thread that resolves it.
        string[] link = new DirectoryInfo("/proc/thread-self").LinkTarget!.Split('/');
        ulong expected = (ulong.Parse(link[0]) << 32) | ulong.Parse(link[2]);
        var options = With(HostIdentity.Current with { ThreadId = 0 });
        Assert.That(Run(engine, "call 14\nexit", options: options), Is.EqualTo(expected));
    }

    [Test]
    public void TheDefaultIdentityIsThisProcess()
    {
        ulong pidTgid = Run(engine, "call 14\nexit");
        Assert.That(pidTgid >> 32, Is.EqualTo((ulong)Environment.ProcessId));
    }

    [Test]
    public void UidGidHasTheGroupAboveTheUser()
    {
        var options = With(new HostIdentity(1, 2, 1000, 2000, "prog"));
        Assert.That(Run(engine, "call 15\nexit", options: options), Is.EqualTo((2000UL << 32) | 1000));
    }

    private static string Comm(int size) => $"mov %r2, {size}\ncall 16\nexit";

    [Test]
    public void CommIsCopiedTerminatedAndPadded()
    {
        var memory = Enumerable.Repeat((byte)0xAA, 20).ToArray();
        ulong result = Run(engine, Comm(16), memory, With(new HostIdentity(1, 2, 3, 4, "myprog")));
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(memory, Is.EqualTo("myprog"u8.ToArray().Concat(new byte[10]).Concat(Enumerable.Repeat((byte)0xAA, 4))));
        });
    }

    [Test]
    public void CommIsAtMostFifteenBytes()
    {
        var memory = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        Run(engine, Comm(32), memory, With(new HostIdentity(1, 2, 3, 4, "a-rather-long-command-name")));
        Assert.That(memory, Is.EqualTo("a-rather-long-c"u8.ToArray().Concat(new byte[17])), "Linux keeps 15 bytes of a command name");
    }

    [Test]
    public void CommIsCutToTheBuffer()
    {
        var memory = Enumerable.Repeat((byte)0xAA, 8).ToArray();
        Run(engine, Comm(4), memory, With(new HostIdentity(1, 2, 3, 4, "myprog")));
        Assert.That(memory, Is.EqualTo("myp\0"u8.ToArray().Concat(Enumerable.Repeat((byte)0xAA, 4))));
    }

    [Test]
    public void CommOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, Comm(32), new byte[16]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void CurrentTaskIsZeroUnlessTheHostMirrorsOne()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, "call 35\nexit"), Is.Zero);
            Assert.That(Run(engine, "call 35\nexit", options: With(HostIdentity.Current with { TaskAddress = 0x7000_1000 })), Is.EqualTo(0x7000_1000UL));
        });
    }

    [Test]
    public void ProbingThroughTheDefaultTaskFaults()
    {
        // BPF_CORE_READ(task, pid) without a task: a probe read at a small offset from 0.
        var memory = new byte[8];
        ulong result = Run(engine, """
            mov %r6, %r1
            call 35
            mov %r3, %r0
            add %r3, 2456
            mov %r1, %r6
            mov %r2, 4
            call 113
            exit
            """, memory);
        Assert.That(result, Is.EqualTo(Error(Errno.EFAULT)));
    }
}
