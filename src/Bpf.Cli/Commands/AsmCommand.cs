using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Isa;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit asm</c>: assembly text to bytecode.</summary>
internal sealed class AsmCommand : Command
{
    private static readonly OptionSpec s_output = new("output", "OUT", "Write the bytecode to OUT as binary (8 bytes per instruction, little-endian).", 'o');

    public override CommandSpec Spec { get; } = new(
        "asm", "Assemble a program into bytecode.", "FILE [-o OUT]",
        """
        FILE is assembly text in the conformance suite's syntax (mov %r0, 1 / exit); a .data file
        or bytecode works too. The program is validated. Without -o, the bytecode is printed as
        hex, one instruction (8 bytes) per line: the format of a data file's '-- raw' section.
        """,
        1, 1, [s_output]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        var program = ProgramLoader.Load(args.Positionals[0]);
        string? output = args.Value(s_output.Name);
        if (output is not null)
        {
            File.WriteAllBytes(output, program.Bytecode.ToBytes());
            return ExitCodes.Success;
        }

        foreach (var instruction in program.Bytecode.Instructions)
            console.Out.WriteLine(instruction.ToHex());
        return ExitCodes.Success;
    }
}
