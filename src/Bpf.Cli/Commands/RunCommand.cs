using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit run</c>: runs a program on input memory and prints r0.</summary>
internal sealed class RunCommand : Command
{
    private static readonly OptionSpec s_mem = new("mem", "HEXFILE", "The input memory: a text file of hex bytes (e.g. '01 02 ff'). Default: a .data file's '-- mem', else none.");

    private static readonly OptionSpec s_packet = new("packet", "FILE",
        "The packet for an XDP, socket or tc program of an object file: hex text (e.g. '01 02 ff') or, if the file is not hex text, its raw bytes.");

    private static readonly OptionSpec s_program = new("program", "NAME", "The program of an object file to run (needed when it has several).");

    private static readonly OptionSpec s_repeat = new("repeat", "N", "Run the program N times (maps keep their contents between runs); prints the last result.");

    private static readonly OptionSpec s_dumpMaps = new("dump-maps", null, "After the runs, print the object's maps and global variables.");

    private static readonly OptionSpec s_verify = new("verify", null,
        "Verify the program first and run it without run-time checks; a program the verifier rejects does not run (exit code 1, the diagnostics on stderr). The default for object files.");

    private static readonly OptionSpec s_checked = new("checked", null,
        "Checked mode: do not verify; bounds-check every memory access at run time and stop runaway loops with the instruction budget. The default for bytecode, assembly and .data files.");

    private static readonly OptionSpec s_trusted = new("trusted", null,
        "Neither verify nor check: run at full speed. Only for programs you trust: an unsafe one can crash the tool.");

    private static readonly OptionSpec s_privileged = new("privileged", null,
        "Verify with Linux's rules for root instead of the strict policy (which also refuses reads of stack never written and pointers escaping to the host).");

    private static readonly OptionSpec s_noSplit = new("no-split", null,
        "Diagnostics (jit only): compile each function as one method even when it is too large for RyuJIT to optimize, so it runs with MinOpts.");

    public override CommandSpec Spec { get; } = new(
        "run", "Run a program and print r0.",
        "FILE [--program NAME] [--mem HEXFILE | --packet FILE] [--repeat N] [--dump-maps] [--engine NAME] [--verify [--privileged] | --checked [--budget N] | --trusted] [--no-split]",
        """
        FILE is bytecode (binary), an ELF object, assembly text or a .data file. A raw program gets
        r1 = a writable copy of the memory and r2 = its length (both 0 without memory), and r0 is
        printed as 16 lowercase hex digits without 0x, as the conformance plugin protocol does.
        An object file (clang -target bpf) is loaded with its maps, global data and subprograms;
        its program runs as its section says: XDP and socket/tc programs get the packet and print
        the action (or r0) and the packet after the run, others get raw memory. bpf_trace_printk
        output is printed as 'trace: ...' lines.
        The programs of an object file are verified first by default (--verify) and then run with
        no run-time checks; --checked runs them unverified in checked mode instead. Bytecode,
        assembly and .data files hold instruction-set programs the verifier is not meant for, so
        they run in checked mode by default: every memory access is bounds-checked and the
        instruction budget stops runaway loops.
        """,
        1, 1, [s_program, s_mem, s_packet, s_repeat, s_dumpMaps, CommonOptions.Engine, s_verify, s_privileged, s_checked, s_trusted,
            CommonOptions.Budget(ExecutionOptions.DefaultInstructionBudget), s_noSplit]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        var engine = Engines.Find(args.Value(CommonOptions.Engine.Name), Spec.Name);
        var safety = Safety(args);
        long budget = args.PositiveNumber("budget", ExecutionOptions.DefaultInstructionBudget);
        string path = args.Positionals[0];
        bool isObject = ObjectFiles.IsObject(path);
        var options = Options(args, safety, isObject, budget);
        string? memPath = args.Value(s_mem.Name);
        byte[]? memory = memPath is null ? null : HexText.Parse(File.ReadAllText(memPath), memPath);

        var runner = engine.Engine;
        if (args.Has(s_noSplit.Name))
        {
            if (runner is not JitEngine)
                throw new UsageException("--no-split only applies to the jit engine", Spec.Name);
            runner = new JitEngine(new JitOptions { SplitLargeFunctions = false });
        }

        if (isObject)
            return RunObject(args, console, path, runner, options, memory);
        if (args.Has(s_program.Name) || args.Has(s_packet.Name) || args.Has(s_dumpMaps.Name))
            throw new UsageException("--program, --packet and --dump-maps apply to object files", Spec.Name);

        var program = ProgramLoader.Load(path);
        memory ??= program.Memory ?? [];
        var executable = runner.Prepare(program.Bytecode, options);
        ulong r0 = 0;
        for (int i = 0, n = Repeat(args); i < n; i++)
            r0 = executable.Run((byte[])memory.Clone());
        console.Out.WriteLine(FormatResult(r0));
        return ExitCodes.Success;
    }

    private int RunObject(ParsedArguments args, ToolConsole console, string path, IBpfEngine runner, ExecutionOptions options, byte[]? memory)
    {
        if (memory is not null && args.Has(s_packet.Name))
            throw new UsageException("give --mem or --packet, not both", Spec.Name);
        string? packetPath = args.Value(s_packet.Name);
        byte[] input = memory ?? (packetPath is null ? [] : ReadPacket(packetPath));
        using var obj = ObjectFiles.Load(path);
        if (obj.ProgramList.Count == 0)
        {
            // A conformance-style object: the program is the plain code of .text.
            var plain = ProgramLoader.Load(path);
            console.Out.WriteLine(FormatResult(runner.Prepare(plain.Bytecode, options).Run(input)));
            return ExitCodes.Success;
        }

        var program = ObjectRunner.Select(obj, args.Value(s_program.Name), Spec.Name);
        var executable = program.Prepare(runner, options with { Trace = line => console.Out.WriteLine("trace: " + line) });
        string outcome = "";
        for (int i = 0, n = Repeat(args); i < n; i++)
            outcome = ObjectRunner.RunOnce(executable, input);
        console.Out.WriteLine(outcome);
        if (args.Has(s_dumpMaps.Name))
            ObjectRunner.DumpMaps(obj, console.Out);
        return ExitCodes.Success;
    }

    /// <summary>The safety flag given (null for none); at most one.</summary>
    private ProgramSafety? Safety(ParsedArguments args)
    {
        var chosen = new[] { (Flag: s_verify, Safety: ProgramSafety.Verified), (Flag: s_checked, Safety: ProgramSafety.Checked), (Flag: s_trusted, Safety: ProgramSafety.Trusted) }
            .Where(c => args.Has(c.Flag.Name)).ToList();
        if (chosen.Count > 1)
            throw new UsageException($"give one of --verify, --checked and --trusted, not {string.Join(" and ", chosen.Select(c => "--" + c.Flag.Name))}", Spec.Name);
        if (chosen.Count == 1 && chosen[0].Safety != ProgramSafety.Checked && args.Has("budget"))
            throw new UsageException($"--budget applies to checked mode; it cannot be combined with --{chosen[0].Flag.Name}", Spec.Name);
        return chosen.Count == 1 ? chosen[0].Safety : null;
    }

    /// <summary>
    /// The execution options: the flag's safety, else verified for object files and checked mode for
    /// instruction-set programs (bytecode, assembly, .data).
    /// </summary>
    private ExecutionOptions Options(ParsedArguments args, ProgramSafety? safety, bool isObject, long budget)
    {
        var chosen = safety ?? (isObject ? ProgramSafety.Verified : ProgramSafety.Checked);
        if (args.Has("budget") && chosen != ProgramSafety.Checked)
            throw new UsageException("--budget applies to checked mode, and the programs of object files are verified by default: add --checked", Spec.Name);
        bool privileged = args.Has(s_privileged.Name);
        if (privileged && chosen != ProgramSafety.Verified)
            throw new UsageException("--privileged is a verifier policy: it applies only when the program is verified", Spec.Name);
        return new ExecutionOptions
        {
            Safety = chosen,
            InstructionBudget = budget,
            VerifierPolicy = privileged ? VerifierPolicy.Privileged : VerifierPolicy.Strict,
        };
    }

    private static byte[] ReadPacket(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return HexText.Parse(System.Text.Encoding.UTF8.GetString(bytes), path);
        }
        catch (InputException)
        {
            return bytes; // not hex text: the packet's raw bytes
        }
    }

    private int Repeat(ParsedArguments args) => args.Has(s_repeat.Name) ? (int)Math.Min(args.PositiveNumber(s_repeat.Name, 1), int.MaxValue) : 1;

    /// <summary>r0 as the tool prints it: 16 lowercase hex digits, no prefix.</summary>
    public static string FormatResult(ulong r0) => r0.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
