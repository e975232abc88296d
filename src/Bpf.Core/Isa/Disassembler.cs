using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Bpf.Isa;

/// <summary>
/// Writes instructions as text: in the conformance suite's syntax, which the
/// <see cref="Assembler"/> reads back to the identical instruction slots, or in the C-like syntax
/// of llvm-objdump. Everything it knows about encodings comes from the <see cref="OpcodeTable"/>.
/// </summary>
public static class Disassembler
{
    /// <summary>The prefix of the line for an encoding that is not a valid instruction.</summary>
    public const string InvalidDirective = ".invalid";

    private const string LabelIndent = "    ";

    /// <summary>Writes a whole program, one instruction per line (each line ends with a newline).</summary>
    /// <param name="program">The program.</param>
    /// <param name="options">The style, and whether to use labels and show slot indices; <see cref="DisassemblerOptions.Default"/> when null.</param>
    /// <returns>The text.</returns>
    public static string Disassemble(Bytecode program, DisassemblerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        options ??= DisassemblerOptions.Default;
        var labels = options.UseLabels ? LabelsOf(program) : null;
        Func<long, string?>? labelOf = labels is null ? null : target => labels.GetValueOrDefault(target);

        var text = new StringBuilder();
        var slots = program.Instructions;
        for (int index = 0; index < slots.Length; index += program.InfoAt(index)!.SlotCount)
        {
            if (labels is not null && labels.TryGetValue(index, out string? label))
                text.Append(label).Append(":\n");
            if (options.ShowIndices)
                text.Append(index.ToString(CultureInfo.InvariantCulture).PadLeft(4)).Append(": ");
            if (labels is not null)
                text.Append(LabelIndent);
            text.Append(FormatCore(slots, index, options.Style, labelOf)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes the instruction that starts at slot <paramref name="index"/> (an <c>lddw</c> reads the
    /// next slot too), with relative targets. An invalid encoding does not throw: it is written as
    /// <c>.invalid</c> and its eight bytes in hex, which suits error messages.
    /// </summary>
    /// <param name="slots">The instruction slots.</param>
    /// <param name="index">The slot of the instruction.</param>
    /// <param name="style">The syntax.</param>
    /// <returns>The instruction as one line of text, without a newline.</returns>
    public static string Format(ReadOnlySpan<Instruction> slots, int index, DisassemblyStyle style = DisassemblyStyle.Conformance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, slots.Length);
        return FormatCore(slots, index, style, null);
    }

    private static string FormatCore(ReadOnlySpan<Instruction> slots, int index, DisassemblyStyle style, Func<long, string?>? labelOf)
    {
        if (!TryDescribe(slots, index, out var info))
            return $"{InvalidDirective} {slots[index].ToHex()}";
        return style == DisassemblyStyle.Llvm
            ? LlvmFormatter.Format(info, slots, index, labelOf)
            : ConformanceFormatter.Format(info, slots, index, labelOf);
    }

    /// <summary>
    /// Finds the row of the instruction at <paramref name="index"/> and checks the second slot of an
    /// <c>lddw</c> as validation does, so that anything written as an instruction is a valid one.
    /// </summary>
    private static bool TryDescribe(ReadOnlySpan<Instruction> slots, int index, [NotNullWhen(true)] out OpcodeInfo? info)
    {
        if (!OpcodeTable.TryDescribe(slots[index], out info, out _) || info is null)
            return false;
        if (info.SlotCount == 1)
            return true;
        if (index + 1 >= slots.Length)
            return false;
        var next = slots[index + 1];
        if (next.Opcode != 0 || next.Dst != 0 || next.Src != 0 || next.Offset != 0)
            return false;
        return next.Immediate == 0
            || info.PseudoSource == LoadImm64Source.Immediate
            || AssemblySyntax.HasSecondImmediate(info.PseudoSource);
    }

    /// <summary>
    /// Names every slot that something targets: function starts by their function's name (when it
    /// can be written as a label), other targets <c>L</c> and the slot index; no two alike.
    /// </summary>
    private static Dictionary<long, string> LabelsOf(Bytecode program)
    {
        var labels = new Dictionary<long, string>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        string Unique(string name)
        {
            string candidate = name;
            for (int suffix = 2; !used.Add(candidate); suffix++)
                candidate = $"{name}_{suffix.ToString(CultureInfo.InvariantCulture)}";
            return candidate;
        }

        foreach (var function in program.Functions)
        {
            string name = AssemblySyntax.IsLabelName(function.Name) ? function.Name : $"func_{function.Start.ToString(CultureInfo.InvariantCulture)}";
            labels[function.Start] = Unique(name);
        }

        var slots = program.Instructions;
        for (int index = 0; index < slots.Length; index += program.InfoAt(index)!.SlotCount)
        {
            if (program.InfoAt(index)!.TargetOf(slots[index], index) is { } target && !labels.ContainsKey(target))
                labels[target] = Unique($"L{target.ToString(CultureInfo.InvariantCulture)}");
        }

        return labels;
    }
}
