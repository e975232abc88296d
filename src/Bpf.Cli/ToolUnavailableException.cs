namespace Bpf.Cli;

/// <summary>A feature the command needs is not part of this build (an engine or stage that is not there yet).</summary>
internal sealed class ToolUnavailableException : BpfException
{
    public ToolUnavailableException(string message) : base(message)
    {
    }
}
