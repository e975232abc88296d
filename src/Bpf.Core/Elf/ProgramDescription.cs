using Bpf.Elf.Btf;
using Bpf.Isa;

namespace Bpf.Elf;

/// <summary>
/// A program of an object file, linked: its own instructions followed by every subprogram it calls
/// (from <c>.text</c> or its own section), with map references, global data, function addresses and
/// calls of externs rewritten to the runtime's pseudo forms (<c>lddw</c> of a map index or a map value
/// index, <c>lddw</c> of a function, <c>call</c> of a helper or of a kfunc by index).
/// </summary>
public sealed record ProgramDescription
{
    /// <summary>The program's name: its function symbol (or its section's name when the section has no function symbols).</summary>
    public required string Name { get; init; }

    /// <summary>The section it lives in, which gives its type by libbpf's conventions.</summary>
    public required string SectionName { get; init; }

    /// <summary>The linked instructions; <c>lddw</c> map indices refer to <see cref="BpfObjectFile.Maps"/> and kfunc calls to <see cref="BpfObjectFile.Kfuncs"/>.</summary>
    public required Instruction[] Instructions { get; init; }

    /// <summary>Names of the functions by their first instruction (the program at 0, then its subprograms).</summary>
    public required IReadOnlyDictionary<int, string> FunctionNames { get; init; }

    /// <summary>The source line of instructions, at linked instruction indices (from <c>.BTF.ext</c>; empty without it).</summary>
    public IReadOnlyList<BtfLineInfo> Lines { get; init; } = [];

    /// <summary>Function starts and BTF types, at linked instruction indices (from <c>.BTF.ext</c>; empty without it).</summary>
    public IReadOnlyList<BtfFunctionInfo> Functions { get; init; } = [];

    /// <summary>The source line of instruction <paramref name="instruction"/>: the last line info at or before it, or null.</summary>
    public BtfLineInfo? LineOf(int instruction)
    {
        BtfLineInfo? found = null;
        foreach (var line in Lines)
        {
            if (line.Instruction <= instruction && (found is null || line.Instruction >= found.Instruction))
                found = line;
        }

        return found;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (section {SectionName}, {Instructions.Length} instructions)";
}
