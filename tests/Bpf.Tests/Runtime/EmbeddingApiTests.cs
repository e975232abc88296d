using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Samples;
using Microsoft.Extensions.Logging;

namespace Bpf.Tests.Runtime;

/// <summary>The object API as hosts use it: typed runs, typed map lookups, options given at load, trace to a logger.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class EmbeddingApiTests(string engineName)
{
    private readonly IBpfEngine _engine = Engines.Get(engineName);

    /// <summary>A host structure: the program reads <see cref="Input"/> and writes <see cref="Output"/>.</summary>
    private record struct Event(ulong Input, ulong Output);

    [Test]
    public void AStructContextRunsInPlace()
    {
        var type = ProgramType.Struct("event", ContextLayout.Struct("event", 16, (8, 8)));
        var image = new ProgramImage(Assembler.Assemble("ldxdw %r0, [%r1+0]\nmul %r0, 3\nstxdw [%r1+8], %r0\nexit"), type: type);
        var program = _engine.Prepare(image, ExecutionOptions.CheckedDefault);
        var value = new Event(14, 0);
        Assert.That(program.Run(ref value), Is.EqualTo(42UL));
        Assert.That(value.Output, Is.EqualTo(42UL));
    }

    [Test]
    public void WithoutCheckedModeRawMemoryMustHoldTheWholeContext()
    {
        var type = ProgramType.Struct("event", ContextLayout.Struct("event", 16, (8, 8)));
        var image = new ProgramImage(Assembler.Assemble("ldxdw %r0, [%r1+8]\nexit"), type: type);
        var trusted = _engine.Prepare(image, new ExecutionOptions { Safety = ProgramSafety.Trusted });
        Assert.Throws<InvalidOperationException>(() => trusted.Run(new byte[8]));
        Assert.That(trusted.Run([0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]), Is.EqualTo(5UL));
        var error = Assert.Throws<BpfRuntimeException>(() => _engine.Prepare(image, ExecutionOptions.CheckedDefault).Run(new byte[8]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds), "checked mode lets it run and stops the read");
    }

    [Test]
    public void PacketProgramsRunOnlyOnTheirOwnContext()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("xdp_counter"));
        var program = obj.Programs["count_packets"].Prepare(_engine);
        var value = new Event();
        Assert.Multiple(() =>
        {
            Assert.That(program.RunXdp(Packets.Ipv4To("10.0.0.1")).Action, Is.EqualTo(XdpAction.Pass));
            Assert.Throws<InvalidOperationException>(() => program.Run(ref value));
            Assert.Throws<InvalidOperationException>(() => program.RunSocketBuffer(Packets.Ipv4To("10.0.0.1")));
            Assert.Throws<InvalidOperationException>(() => _engine.Prepare(Assembler.Assemble("mov %r0, 0\nexit"), ExecutionOptions.Default).RunXdp([1, 2, 3]));
        });
    }

    [Test]
    public void ASocketFilterRunsOnAPacket()
    {
        var image = new ProgramImage(Assembler.Assemble("ldxw %r0, [%r1+0]\nexit"), type: ProgramType.ForKind(BpfProgramKind.SocketFilter));
        var result = _engine.Prepare(image, ExecutionOptions.CheckedDefault).RunSocketBuffer(new byte[77]);
        Assert.That(result.ReturnValue, Is.EqualTo(77UL), "__sk_buff.len");
    }

    [Test]
    public void MapsAreFoundByNameAndClass()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("ringbuf_events"));
        Assert.That(obj.Map<RingBufferMap>("events").DataSize, Is.EqualTo(4096 * 4), "max_entries in ringbuf_events.c");
        Assert.Throws<InvalidCastException>(() => obj.Map<ArrayMap>("events"));
        Assert.Throws<KeyNotFoundException>(() => obj.Map<RingBufferMap>("nope"));
    }

    [Test]
    public void TraceOutputGoesToTheLogger()
    {
        var logger = new ListLogger();
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("printk"), options: new LoadOptions { Execution = new ExecutionOptions { Logger = logger } });
        Assert.That(obj.Programs["say_length"].Prepare(_engine).Run([0xab, 1, 2]), Is.Zero);
        Assert.That(logger.Entries, Is.EqualTo(new[] { (LogLevel.Information, TraceLogging.TraceEvent, "length=3 first=ab") }));
    }

    [Test]
    public void ACallbackWinsOverTheLogger()
    {
        var logger = new ListLogger();
        var lines = new List<string>();
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("printk"));
        obj.Programs["say_length"].Prepare(_engine, new ExecutionOptions { Logger = logger, Trace = lines.Add }).Run([7]);
        Assert.That(lines, Is.EqualTo(new[] { "length=1 first=7" }));
        Assert.That(logger.Entries, Is.Empty);
    }

    /// <summary>A logger that keeps what it is given.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, EventId Event, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, eventId, formatter(state, exception)));
    }
}
