using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Elf;
using Bpf.Maps;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit inspect</c>: lists what an object file holds.</summary>
internal sealed class InspectCommand : Command
{
    public override CommandSpec Spec { get; } = new(
        "inspect", "List an object file's programs, maps, global data and BTF.", "OBJ.o",
        """
        Loads the object as 'run' does (maps are created, nothing runs) and prints its license and
        version, each program (section, type, instructions, functions, source lines), each map
        (type, key and value sizes, entries, flags, where it is defined), the global variables
        with their sections, offsets, sizes and initial values, the kfuncs the programs call,
        and a summary of the BTF and BTF.ext.
        """,
        1, 1, []);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        string path = args.Positionals[0];
        using var obj = ObjectFiles.Load(path);
        var output = console.Out;
        output.WriteLine($"object {obj.Name}: license {obj.License ?? "(none)"}{(obj.KernelVersion is { } v ? $", version 0x{v:x}" : "")}");

        output.WriteLine($"programs ({obj.ProgramList.Count}):");
        foreach (var program in obj.ProgramList)
        {
            output.WriteLine($"  {program.Name}: section {program.SectionName}, type {program.Type}, {program.Code.Length} instructions, " +
                $"{program.Code.Functions.Count} function{(program.Code.Functions.Count == 1 ? "" : "s")}" +
                (program.Code.Functions.Count > 1 ? $" ({string.Join(", ", program.Code.Functions.Select(f => f.Name))})" : "") +
                (program.Lines.Count > 0 ? $", {program.Lines.Count} source lines" : ""));
        }

        output.WriteLine($"maps ({obj.Maps.Count}):");
        foreach (var (map, description) in obj.Maps.Zip(obj.File.Maps))
        {
            output.WriteLine($"  {map.Name}: {map.Type}, key {map.KeySize}, value {map.ValueSize}, max_entries {map.MaxEntries}" +
                (map.Flags == BpfMapFlags.None ? "" : $", flags {map.Flags}") +
                $" ({Origin(description)})" +
                (description.Initializers.Count > 0 ? $", initialised slots: {string.Join(", ", description.Initializers.Select(i => $"[{i.Slot}] = {i.SymbolName}"))}" : "") +
                (map.Definition.InnerMap is { } inner ? $", inner map: {inner}" : ""));
        }

        var variables = obj.Variables.Values.OrderBy(v => v.Section, StringComparer.Ordinal).ThenBy(v => v.Offset).ToList();
        output.WriteLine($"global variables ({variables.Count}):");
        foreach (var variable in variables)
            output.WriteLine($"  {variable.Section} +{variable.Offset}: {variable.Name} ({variable.Size} bytes{(variable.IsStatic ? ", static" : "")}) = {HexText.Format(variable.Bytes, int.MaxValue)}");

        if (obj.File.Kfuncs.Count > 0)
            output.WriteLine($"kfuncs: {string.Join(", ", obj.File.Kfuncs)}");

        if (obj.Btf is { } btf)
        {
            var ext = obj.File.BtfExtension;
            output.WriteLine($"BTF: {btf.Count} types; BTF.ext: {ext.Functions.Values.Sum(f => f.Count)} func info, " +
                $"{ext.Lines.Values.Sum(l => l.Count)} line info, {ext.CoreRelocations.Values.Sum(c => c.Count)} CO-RE relocations");
        }
        else
        {
            output.WriteLine("BTF: none (compile with -g for BTF-defined maps, line info and CO-RE)");
        }

        return ExitCodes.Success;
    }

    private static string Origin(MapDescription description) => description.Origin switch
    {
        MapOrigin.BtfDefined => "BTF-defined in .maps",
        MapOrigin.Legacy => $"legacy definition in {description.SectionName}",
        _ => "global data",
    };
}
