using Bpf.Cli.CommandLine;

namespace Bpf.Cli.Commands;

/// <summary>One of the tool's commands.</summary>
internal abstract class Command
{
    /// <summary>What the command accepts, and its help.</summary>
    public abstract CommandSpec Spec { get; }

    /// <summary>True if the command reports errors on standard output (a plugin's caller reads only that).</summary>
    public virtual bool ErrorsToStandardOutput => false;

    /// <summary>Runs the command and returns the exit code.</summary>
    /// <exception cref="BpfException">Bad input or a rejected program; the tool reports it.</exception>
    public abstract int Execute(ParsedArguments args, ToolConsole console);
}
