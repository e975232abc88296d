using Bpf.Cli.CommandLine;
using Bpf.Runtime;

namespace Bpf.Cli.Commands;

/// <summary>Options several commands share, and what they mean.</summary>
internal static class CommonOptions
{
    public static OptionSpec Engine { get; } =
        new("engine", "NAME", $"The engine: {Engines.Names} (default {Engines.Default.Name}).");

    public static OptionSpec EngineOrAll { get; } =
        new("engine", "NAME", $"The engine: {Engines.Names}|{Engines.AllName} (default {Engines.AllName}).");

    public static OptionSpec Unchecked { get; } =
        new("unchecked", null, "Run without checked mode: no bounds checks and no instruction budget. Only for programs you trust.");

    public static OptionSpec Budget(long fallback) =>
        new("budget", "N", $"Stop the program after N instructions (checked mode; default {fallback:N0}).");

    /// <summary>The execution options <c>--unchecked</c> and <c>--budget</c> ask for.</summary>
    public static ExecutionOptions Execution(ParsedArguments args, long defaultBudget)
    {
        bool isChecked = !args.Has(Unchecked.Name);
        if (!isChecked && args.Has("budget"))
            throw new UsageException("--budget applies to checked mode; it cannot be combined with --unchecked", args.Spec.Name);
        return new ExecutionOptions
        {
            Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted,
            InstructionBudget = args.Spec.Find("budget") is null ? defaultBudget : args.PositiveNumber("budget", defaultBudget),
        };
    }
}
