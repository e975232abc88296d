using System.Runtime.CompilerServices;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Runtime;

/// <summary>
/// Disposing an object frees its maps, and everything of a disposed object throws
/// <see cref="ObjectDisposedException"/> instead of touching freed memory.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class ObjectDisposalTests(string engineName)
{
    private readonly IBpfEngine _engine = Engines.Get(engineName);

    private static BpfObject RingbufEvents() => BpfObject.Load(RepositoryFiles.SampleObject("ringbuf_events"));

    [Test]
    public void DisposingTheObjectFreesItsMaps()
    {
        var obj = RingbufEvents();
        var ring = obj.Map<RingBufferMap>("events");
        nint data = ring.DataAddress;
        Assert.That(RingBufferRegistry.Find((ulong)data), Is.SameAs(ring), "the ring's memory is live");
        obj.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(obj.IsDisposed, Is.True);
            Assert.That(obj.Maps.All(m => m.IsDisposed), Is.True);
            Assert.That(RingBufferRegistry.Find((ulong)data), Is.Null, "the ring's memory was freed");
        });
        obj.Dispose(); // twice is harmless
    }

    [Test]
    public void ADisposedObjectThrowsObjectDisposedException()
    {
        var obj = BpfObject.Load(RepositoryFiles.SampleObject("config"));
        var program = obj.Programs["filter_by_config"];
        var counters = obj.Map(".bss");
        var passed = obj.Variable("passed");
        obj.Dispose();
        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => program.Prepare(_engine));
            Assert.Throws<ObjectDisposedException>(() => passed.Get<ulong>());
            Assert.Throws<ObjectDisposedException>(() => obj.Variable("max_length").Set(1u));
            Assert.Throws<ObjectDisposedException>(() => counters.TryLookup(new byte[4], new byte[counters.ValueSize]));
            Assert.Throws<ObjectDisposedException>(() => ((ArrayMap)counters).AsArray<Bss>()[0].ToString());
            Assert.Throws<ObjectDisposedException>(() => obj.Map<ArrayMap>(".bss"));
        });
    }

    [Test]
    public void AProgramPreparedBeforeTheObjectWasDisposedRefusesToRun()
    {
        var obj = BpfObject.Load(RepositoryFiles.SampleObject("config"));
        var run = obj.Programs["filter_by_config"].Prepare(_engine);
        Assert.That(run.RunXdp(Packets.Ipv4To("10.0.0.1")).Action, Is.EqualTo(Bpf.Runtime.Contexts.XdpAction.Pass));
        obj.Dispose();
        Assert.Throws<ObjectDisposedException>(() => run.RunXdp(Packets.Ipv4To("10.0.0.1")));
    }

    [Test]
    public void ConsumingTheRingOfADisposedObjectThrows()
    {
        var obj = RingbufEvents();
        var ring = obj.Map<RingBufferMap>("events");
        ring.PollInterval = TimeSpan.FromMilliseconds(10);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in ring.ReadAllAsync(timeout.Token))
            {
            }
        });
        obj.Dispose();
        Assert.ThrowsAsync<ObjectDisposedException>(() => reading);
    }

    [Test]
    public void APreparedProgramKeepsTheMapsMemoryUntilItIsCollected()
    {
        var (data, program) = PrepareAndDispose();
        for (int i = 0; i < 10 && RingBufferRegistry.Find((ulong)data) is not null; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.That(program.IsAlive, Is.False, "nothing references the program any more");
        Assert.That(RingBufferRegistry.Find((ulong)data), Is.Null, "the memory goes with the last program that used it");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (nint Data, WeakReference Program) PrepareAndDispose()
    {
        var obj = RingbufEvents();
        var executable = obj.Programs["report_packets"].Prepare(_engine);
        nint data = obj.Map<RingBufferMap>("events").DataAddress;
        obj.Dispose();
        Assert.That(RingBufferRegistry.Find((ulong)data), Is.Not.Null, "a prepared program still holds the ring after the object is disposed");
        GC.KeepAlive(executable);
        return (data, new WeakReference(executable));
    }

    /// <summary>config.c's .bss: two counters.</summary>
    private readonly record struct Bss(ulong Passed, ulong Dropped);
}
