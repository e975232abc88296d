using Bpf.Aot;
using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Runtime;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit aot</c>: an object file as a .NET assembly (with a portable PDB) that needs only Bpf.Core at run time.</summary>
internal sealed class AotCommand : Command
{
    private static readonly OptionSpec s_output = new("output", "OUT.dll", "Write the assembly to OUT.dll (and OUT.pdb beside it); default: the object's name in the current directory.", 'o');

    private static readonly OptionSpec s_namespace = new("namespace", "N", "The namespace of the generated class (default Bpf.Generated).");

    private static readonly OptionSpec s_class = new("class", "C", "The name of the generated class (default: the object's name in PascalCase).");

    private static readonly OptionSpec s_program = new("program", "NAME", "Write only this program of the object.");

    private static readonly OptionSpec s_checked = new("checked", null, "Compile with run-time checks (checked mode), which also writes programs the verifier rejects.");

    private static readonly OptionSpec s_noPdb = new("no-pdb", null, "Write no PDB (and no listing).");

    public override CommandSpec Spec { get; } = new(
        "aot", "Compile an object file ahead of time to a .NET assembly.", "OBJ.o [-o OUT.dll] [--namespace N] [--class C] [--program NAME] [--checked] [--no-pdb]",
        """
        Writes one class per object, derived from Bpf.Runtime.Aot.PrecompiledObject: a property per
        program (a BpfExecutable bound to the object's maps), per map (its BpfMap class) and per
        global variable (set .rodata before the first program runs), with the object file embedded.
        The assembly references only Bpf.Core and needs no Reflection.Emit, so it runs under
        NativeAOT. OUT.pdb maps each program's IL to its C source lines (BTF line info) and, where
        there are none, to OBJ.bpf.s, the disassembly written beside it. Every program must pass the
        verifier (the verdict is recorded; loading does not verify again) unless --checked is given.
        """,
        1, 1, [s_output, s_namespace, s_class, s_program, s_checked, s_noPdb]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        string path = args.Positionals[0];
        if (!ObjectFiles.IsObject(path))
            throw new InputException($"{path}: not an ELF object file (bpfjit aot compiles objects; 'bpfjit asm' turns assembly into bytecode)");
        bool isChecked = args.Has(s_checked.Name);
        string name = Path.GetFileNameWithoutExtension(path);
        string? only = args.Value(s_program.Name);

        // The verdicts first, all of them, so that a refusal lists every rejected program.
        using (var obj = ObjectFiles.Load(path))
        {
            var programs = only is null ? obj.ProgramList : [ObjectRunner.Select(obj, only, Spec.Name)];
            bool refused = false;
            foreach (var program in programs)
            {
                var verdict = program.Verify();
                if (verdict.IsAccepted)
                    continue;
                var report = isChecked ? console.Out : console.Error;
                report.WriteLine($"{program.Name}: rejected by the verifier{(isChecked ? "; compiled with run-time checks (--checked)" : "")}");
                foreach (var diagnostic in verdict.Diagnostics)
                    report.WriteLine($"  {diagnostic}");
                refused |= !isChecked;
            }

            if (refused)
            {
                console.Error.WriteLine($"bpfjit aot: not written: the verifier rejects programs of {path}; --checked compiles them with run-time checks");
                return ExitCodes.Failure;
            }
        }

        var assembly = AotAssemblyWriter.WriteObject(File.ReadAllBytes(path), name, new AotObjectOptions
        {
            Namespace = args.Value(s_namespace.Name) ?? "Bpf.Generated",
            ClassName = args.Value(s_class.Name),
            AssemblyName = args.Value(s_output.Name) is { } output ? Path.GetFileNameWithoutExtension(output) : null,
            Checked = isChecked,
            Programs = only is null ? null : [only],
            WriteSymbols = !args.Has(s_noPdb.Name),
        });
        string target = args.Value(s_output.Name) ?? assembly.TypeName.Split('.')[^1] + ".dll";
        foreach (string file in assembly.Save(target))
            console.Out.WriteLine($"wrote {file} ({new FileInfo(file).Length:N0} bytes)");
        console.Out.WriteLine($"class {assembly.TypeName}{(isChecked ? " (checked)" : "")}");
        return ExitCodes.Success;
    }
}
