using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Runtime;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit disasm</c>: a program to text, or to the IL the JIT generates for it.</summary>
internal sealed class DisasmCommand : Command
{
    private static readonly OptionSpec s_llvm = new("llvm", null, "LLVM's syntax (r0 = 1) instead of the conformance suite's (mov %r0, 1).");
    private static readonly OptionSpec s_labels = new("labels", null, "Show jump targets as labels instead of offsets.");
    private static readonly OptionSpec s_indices = new("indices", null, "Prefix each instruction with its slot number.");
    private static readonly OptionSpec s_il = new("il", null, "Print the IL the JIT generates instead of BPF assembly.");

    public override CommandSpec Spec { get; } = new(
        "disasm", "Print a program as assembly text, or as the IL the JIT generates.", "FILE [--llvm] [--labels] [--indices] [--il]",
        """
        FILE is bytecode (binary), an ELF object, assembly text or a .data file. With --il, the
        program is compiled as the run command would (checked mode unless --unchecked).
        """,
        1, 1, [s_llvm, s_labels, s_indices, s_il, CommonOptions.Unchecked]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        if (args.Has(s_il.Name) && (args.Has(s_llvm.Name) || args.Has(s_labels.Name) || args.Has(s_indices.Name)))
            throw new UsageException("--il cannot be combined with --llvm, --labels or --indices", Spec.Name);
        if (!args.Has(s_il.Name) && args.Has(CommonOptions.Unchecked.Name))
            throw new UsageException("--unchecked only changes the IL; use it with --il", Spec.Name);

        // Fail before reading the file when the feature is missing, so the message is about that.
        var engine = args.Has(s_il.Name) ? Engines.WithIL() : null;
        var program = ProgramLoader.Load(args.Positionals[0]);
        string text = engine is not null
            ? engine.DumpIL!(program.Bytecode, CommonOptions.Execution(args, ExecutionOptions.DefaultInstructionBudget))
            : TextAssembly.Disassemble(program.Bytecode, new DisassemblyFormat(args.Has(s_llvm.Name), args.Has(s_labels.Name), args.Has(s_indices.Name)));
        console.Out.Write(text);
        if (text.Length > 0 && !text.EndsWith('\n'))
            console.Out.WriteLine();
        return ExitCodes.Success;
    }
}
