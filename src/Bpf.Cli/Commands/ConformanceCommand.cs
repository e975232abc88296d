using Bpf.Cli.CommandLine;
using Bpf.Cli.Conformance;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit conformance</c>: runs conformance suite data files and reports.</summary>
internal sealed class ConformanceCommand : Command
{
    private static readonly OptionSpec s_failures = new("failures-only", null, "Print only the lines of failing cases (and the totals).");

    public override CommandSpec Spec { get; } = new(
        "conformance", "Run conformance suite data files.", "DIR_OR_FILE... [--engine NAME|all] [--budget N]",
        """
        Runs every .data file (directories are searched recursively) on each engine and prints
        one line per file and engine, PASS or FAIL with the reason, then exactly 'N passed,
        N failed'. Exits 1 if any case fails. Files in a directory named 'negative' are the
        suite's self-tests of a harness and pass when they do NOT pass as written. Programs run
        in checked mode with an instruction budget. The rules are in docs/conformance.md.
        """,
        1, int.MaxValue, [CommonOptions.EngineOrAll, CommonOptions.Budget(ConformanceRunner.DefaultBudget), s_failures]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        var engines = Engines.Select(args.Value(CommonOptions.EngineOrAll.Name) ?? Engines.AllName, Spec.Name);
        long budget = args.PositiveNumber("budget", ConformanceRunner.DefaultBudget);
        var files = ConformanceRunner.FindFiles(args.Positionals, Spec.Name);

        var runner = new ConformanceRunner(engines, budget);
        runner.Run(files, console.Out, failuresOnly: args.Has(s_failures.Name));
        console.Out.WriteLine(runner.Summary);
        return runner.Failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }
}
