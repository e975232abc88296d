using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit run</c>: runs a program on input memory and prints r0.</summary>
internal sealed class RunCommand : Command
{
    private static readonly OptionSpec s_mem = new("mem", "HEXFILE", "The input memory: a text file of hex bytes (e.g. '01 02 ff'). Default: a .data file's '-- mem', else none.");

    private static readonly OptionSpec s_noSplit = new("no-split", null,
        "Diagnostics (jit only): compile each function as one method even when it is too large for RyuJIT to optimize, so it runs with MinOpts.");

    public override CommandSpec Spec { get; } = new(
        "run", "Run a program and print r0.", "FILE [--mem HEXFILE] [--engine NAME] [--unchecked] [--budget N] [--no-split]",
        """
        FILE is bytecode (binary), an ELF object, assembly text or a .data file. The program gets
        r1 = a writable copy of the memory and r2 = its length (both 0 without memory), and r0 is
        printed as 16 lowercase hex digits without 0x, as the conformance plugin protocol does.
        Programs run in checked mode by default: every memory access is bounds-checked and the
        instruction budget stops runaway loops.
        """,
        1, 1, [s_mem, CommonOptions.Engine, CommonOptions.Unchecked, CommonOptions.Budget(ExecutionOptions.DefaultInstructionBudget), s_noSplit]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        var engine = Engines.Find(args.Value(CommonOptions.Engine.Name), Spec.Name);
        var options = CommonOptions.Execution(args, ExecutionOptions.DefaultInstructionBudget);
        string? memPath = args.Value(s_mem.Name);
        byte[]? memory = memPath is null ? null : HexText.Parse(File.ReadAllText(memPath), memPath);

        var program = ProgramLoader.Load(args.Positionals[0]);
        memory ??= program.Memory ?? [];

        var runner = engine.Engine;
        if (args.Has(s_noSplit.Name))
        {
            if (runner is not JitEngine)
                throw new UsageException("--no-split only applies to the jit engine", Spec.Name);
            runner = new JitEngine(new JitOptions { SplitLargeFunctions = false });
        }

        ulong r0 = runner.Prepare(program.Bytecode, options).Run(memory);
        console.Out.WriteLine(FormatResult(r0));
        return ExitCodes.Success;
    }

    /// <summary>r0 as the tool prints it: 16 lowercase hex digits, no prefix.</summary>
    public static string FormatResult(ulong r0) => r0.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
