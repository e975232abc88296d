namespace Bpf.Cli.CommandLine;

/// <summary>The command line is wrong: an unknown command or option, a missing or extra argument, a bad value.</summary>
internal sealed class UsageException : BpfException
{
    public UsageException(string message, string? command = null) : base(message)
    {
        Command = command;
    }

    /// <summary>The command whose help explains the right usage, or null for the tool's.</summary>
    public string? Command { get; }
}
