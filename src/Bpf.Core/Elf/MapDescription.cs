namespace Bpf.Elf;

/// <summary>
/// A map an object file defines: in <c>.maps</c> (BTF-defined), in a legacy <c>maps</c> section, or
/// as a global data section (<c>.data</c>, <c>.rodata</c>, <c>.bss</c>...), which is an array of one
/// element holding the section's bytes.
/// </summary>
public sealed record MapDescription
{
    /// <summary>What the map is.</summary>
    public required Maps.BpfMapDefinition Definition { get; init; }

    /// <summary>Where the definition comes from.</summary>
    public required MapOrigin Origin { get; init; }

    /// <summary>The section that defines the map (for global data, the data section itself).</summary>
    public required string SectionName { get; init; }

    /// <summary>The map's name: its symbol, or for global data the section name.</summary>
    public string Name => Definition.Name;

    /// <summary>For global data: the section's initial bytes (zeros for <c>.bss</c>); null otherwise.</summary>
    public byte[]? InitialValue { get; init; }

    /// <summary>For global data: the variables in the section, from BTF or the symbol table.</summary>
    public IReadOnlyList<VariableDescription> Variables { get; init; } = [];

    /// <summary>
    /// For program arrays and map-in-map: the slots the object fills itself (libbpf's <c>.maps</c>
    /// initialisers, <c>.values = { [i] = &amp;prog }</c>).
    /// </summary>
    public IReadOnlyList<MapSlotInitializer> Initializers { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => $"{Definition} ({Origin}, section {SectionName})";
}

/// <summary>Where a map's definition comes from.</summary>
public enum MapOrigin
{
    /// <summary>A BTF-defined map in <c>.maps</c>.</summary>
    BtfDefined,
    /// <summary>A legacy <c>struct bpf_map_def</c> or <c>struct bpf_elf_map</c> in a <c>maps</c> section.</summary>
    Legacy,
    /// <summary>A global data section.</summary>
    GlobalData,
}

/// <summary>A slot of a program array or map-in-map that the object file fills with a program or a map.</summary>
/// <param name="Slot">The index in the outer map.</param>
/// <param name="SymbolName">The program (a function symbol) or map it holds.</param>
/// <param name="IsProgram">True for a program, false for a map.</param>
public sealed record MapSlotInitializer(int Slot, string SymbolName, bool IsProgram);

/// <summary>A global variable: a named range of a global data section.</summary>
/// <param name="Name">The variable's name.</param>
/// <param name="Offset">Its offset in the section.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="TypeId">Its BTF type id, or 0 without BTF.</param>
/// <param name="IsStatic">True for a <c>static</c> variable (BTF linkage 0 or a local symbol).</param>
public sealed record VariableDescription(string Name, int Offset, int Size, int TypeId, bool IsStatic);
