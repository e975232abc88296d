using Microsoft.Extensions.Logging;

namespace Bpf.Runtime;

/// <summary>
/// Programs' trace output (<c>bpf_trace_printk</c>) sent to a <see cref="ILogger"/>
/// (<see cref="ExecutionOptions.Logger"/>).
/// </summary>
public static class TraceLogging
{
    /// <summary>The event every trace line is logged with.</summary>
    public static readonly EventId TraceEvent = new(1, "BpfTrace");

    private static readonly Action<ILogger, string, Exception?> s_log =
        LoggerMessage.Define<string>(LogLevel.Information, TraceEvent, "{Line}");

    /// <summary>A trace sink that logs each line to <paramref name="logger"/>.</summary>
    public static Action<string> Sink(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return line => s_log(logger, line, null);
    }
}
