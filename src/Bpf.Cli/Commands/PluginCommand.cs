using Bpf.Cli.CommandLine;
using Bpf.Cli.Conformance;
using Bpf.Cli.Input;
using Bpf.Isa;

namespace Bpf.Cli.Commands;

/// <summary>
/// <c>bpfjit plugin</c>: the conformance suite runner's plugin protocol. The runner starts the
/// plugin once per test with the memory as one hex argument, writes the program as hex on
/// standard input, and reads r0 in hex from standard output (exit 0), or an error message from
/// standard output (non-zero exit).
/// </summary>
internal sealed class PluginCommand : Command
{
    private static readonly OptionSpec s_elf = new("elf", null, "Standard input holds an ELF object (the program is its .text section), not raw instructions.");

    public override CommandSpec Spec { get; } = new(
        "plugin", "Act as a plugin of the bpf_conformance runner.", "[MEMORY_HEX] [--engine NAME] [--budget N] [--elf]",
        """
        Reads the program from standard input as hex bytes ("b7  00  00  00  01  00  00  00  "),
        runs it in checked mode on the memory given as one hex argument (none: no memory), and
        prints r0 as 16 lowercase hex digits. On any error it prints the message on standard
        output and exits 1. Use it with the suite's runner:
          bpf_conformance_runner --test_file_directory tests --plugin_path bpfjit --plugin_options "plugin --engine interpreter"
        """,
        0, 1, [CommonOptions.Engine, CommonOptions.Budget(ConformanceRunner.DefaultBudget), s_elf]);

    /// <summary>The runner reads errors from standard output.</summary>
    public override bool ErrorsToStandardOutput => true;

    /// <summary>
    /// Arguments as runners really pass them: some pass an empty memory argument, or the whole
    /// plugin options string as one argument. Empty arguments are dropped and an option
    /// argument with spaces is split on them.
    /// </summary>
    public static List<string> NormalizeArguments(IEnumerable<string> args)
    {
        var result = new List<string>();
        foreach (string arg in args)
        {
            if (arg.Trim().Length == 0)
                continue;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(' ', StringComparison.Ordinal))
                result.AddRange(arg.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            else
                result.Add(arg);
        }

        return result;
    }

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        var engine = Engines.Find(args.Value(CommonOptions.Engine.Name), Spec.Name);
        var options = CommonOptions.Execution(args, ConformanceRunner.DefaultBudget);
        byte[] memory = args.Positionals.Count > 0 ? HexText.Parse(args.Positionals[0], "the memory argument") : [];
        byte[] input = HexText.Parse(console.In.ReadToEnd(), "the program on standard input");

        var bytecode = args.Has(s_elf.Name) ? ElfProgram.Load(input) : Bytecode.Decode(input);
        ulong r0 = engine.Engine.Prepare(bytecode, options).Run(memory);
        console.Out.WriteLine(RunCommand.FormatResult(r0));
        return ExitCodes.Success;
    }
}
