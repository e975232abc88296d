using Bpf.Isa;
using Bpf.Verification;

namespace Bpf.Runtime.Contexts;

/// <summary>
/// Translates a program's context accesses for the runtime's context structure, as Linux's
/// <c>convert_ctx_accesses</c> does: a 32-bit load of a packet pointer field (<c>ctx-&gt;data</c>)
/// becomes a 64-bit load of the real pointer the runtime keeps after the uapi structure. Each
/// access is checked against the layout: inside the structure and inside one field, stores only to
/// writable fields, pointer fields read whole. The program keeps its length and jump offsets, so
/// instruction numbers in messages stay those of the original.
/// </summary>
public static class ContextTranslation
{
    /// <summary>The program as the engines run it for a context of layout <paramref name="layout"/>.</summary>
    /// <exception cref="ContextAccessException">A context access is invalid for the layout.</exception>
    public static Bytecode Apply(Bytecode code, ContextLayout layout)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(layout);
        var accesses = ContextAccessAnalysis.FindContextAccesses(code);
        if (accesses.Count == 0)
            return code;

        var slots = code.Instructions.ToArray();
        foreach (int pc in accesses)
            slots[pc] = Translate(pc, slots[pc], code.InfoAt(pc)!, layout);

        var names = code.Functions.ToDictionary(f => f.Start, f => f.Name);
        return Bytecode.Create(slots, names);
    }

    private static Instruction Translate(int pc, Instruction insn, OpcodeInfo info, ContextLayout layout)
    {
        bool isLoad = info.Operation is Operation.Load or Operation.LoadSx;
        int offset = insn.Offset;
        int size = info.AccessSize;
        string access = $"{(isLoad ? "load" : "store")} of {size} bytes at offset {offset} of {layout.Name}";
        if (offset < 0 || offset + size > layout.Size)
            throw new ContextAccessException(pc, $"{access} is outside the {layout.Size}-byte context");

        var field = layout.FieldAt(offset);
        if (field is null || offset + size > field.Offset + field.Size)
            throw new ContextAccessException(pc, $"{access} does not fit one field");

        if (!isLoad)
        {
            if (!field.Writable)
                throw new ContextAccessException(pc, $"{access}: the field {field.Name} is read-only for this program type");
            return insn;
        }

        if (field.Pointer == ContextPointer.None)
            return insn;

        if (offset != field.Offset || size != field.Size || info.Operation != Operation.Load)
            throw new ContextAccessException(pc, $"{access}: the pointer field {field.Name} can only be loaded whole");

        // A 64-bit load of the real pointer, same registers: ldxdw dst, [src + native offset].
        var loadDoubleWord = OpcodeTable.WithMnemonic("ldxdw")[0];
        return new Instruction(loadDoubleWord.Opcode, insn.Dst, insn.Src, checked((short)field.StorageOffset), 0);
    }
}
