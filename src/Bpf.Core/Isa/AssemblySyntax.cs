using System.Globalization;

namespace Bpf.Isa;

/// <summary>
/// The conventions of the conformance suite's assembly text that the <see cref="Assembler"/> and
/// the <see cref="Disassembler"/> must agree on beyond the mnemonics of the <see cref="OpcodeTable"/>:
/// register and label names, the spelling of the <c>lddw</c> pseudo sources, and which fields the
/// text of each operand layout carries.
/// </summary>
internal static class AssemblySyntax
{
    /// <summary>The name of the instruction the suite lets a jump name when no label has that name.</summary>
    public const string ExitName = "exit";

    /// <summary>The character that starts a comment.</summary>
    public const char CommentStart = '#';

    private static readonly (LoadImm64Source Source, string Name)[] s_pseudoNames =
    [
        (LoadImm64Source.MapFd, "map_fd"),
        (LoadImm64Source.MapValue, "map_value"),
        (LoadImm64Source.BtfId, "btf_id"),
        (LoadImm64Source.Function, "func"),
        (LoadImm64Source.MapIndex, "map_idx"),
        (LoadImm64Source.MapIndexValue, "map_idx_value"),
    ];

    /// <summary>A register as the suite writes it: <c>%r1</c>.</summary>
    public static string Register(int register) => "%r" + register.ToString(CultureInfo.InvariantCulture);

    /// <summary>The function-like name of a pseudo source in <c>lddw %r1, map_fd(3)</c>.</summary>
    public static string PseudoName(LoadImm64Source source)
    {
        foreach (var (s, name) in s_pseudoNames)
        {
            if (s == source)
                return name;
        }

        throw new ArgumentOutOfRangeException(nameof(source), source, "not a pseudo source");
    }

    /// <summary>The pseudo source with the given name, if any.</summary>
    public static bool TryParsePseudoName(string name, out LoadImm64Source source)
    {
        foreach (var (s, n) in s_pseudoNames)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                source = s;
                return true;
            }
        }

        source = default;
        return false;
    }

    /// <summary>Every pseudo source name, for messages.</summary>
    public static IEnumerable<string> PseudoNames => s_pseudoNames.Select(p => p.Name);

    /// <summary>
    /// True for the pseudo sources whose second slot carries a value of its own (an offset into a
    /// map value, or the BTF object of a kernel variable); validation requires zero for the others.
    /// </summary>
    public static bool HasSecondImmediate(LoadImm64Source source) =>
        source is LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue or LoadImm64Source.BtfId;

    /// <summary>
    /// True if <paramref name="text"/> is a register name (<c>%r1</c> or <c>r1</c>, any number), so
    /// that it can never be a label: the assembler reads <c>r12</c> as a bad register, not a label.
    /// </summary>
    public static bool LooksLikeRegister(ReadOnlySpan<char> text)
    {
        if (text.StartsWith("%"))
            return true;
        if (text.Length < 2 || (text[0] != 'r' && text[0] != 'R'))
            return false;
        foreach (char c in text[1..])
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }

        return true;
    }

    /// <summary>True for a character that may start a label.</summary>
    public static bool IsLabelStart(char c) => char.IsAsciiLetter(c) || c is '_' or '.' or '$';

    /// <summary>True for a character that may continue a label.</summary>
    public static bool IsLabelPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '$';

    /// <summary>True if <paramref name="name"/> can be written as a label and read back as the same label.</summary>
    public static bool IsLabelName(string name)
    {
        if (name.Length == 0 || !IsLabelStart(name[0]) || LooksLikeRegister(name))
            return false;
        foreach (char c in name)
        {
            if (!IsLabelPart(c))
                return false;
        }

        return true;
    }

    /// <summary>
    /// The fields the text of an operand layout sets. For every row of the table these are exactly
    /// its <see cref="OpcodeInfo.Operands"/>, which is what makes the text round-trip.
    /// </summary>
    public static InstructionFields FieldsOf(OperandLayout layout) => layout switch
    {
        OperandLayout.None => InstructionFields.None,
        OperandLayout.DstSrc => InstructionFields.Dst | InstructionFields.Src,
        OperandLayout.DstImm => InstructionFields.Dst | InstructionFields.Immediate,
        OperandLayout.Dst => InstructionFields.Dst,
        OperandLayout.DstMemory => InstructionFields.Dst | InstructionFields.Src | InstructionFields.Offset,
        OperandLayout.MemoryImm => InstructionFields.Dst | InstructionFields.Offset | InstructionFields.Immediate,
        OperandLayout.MemorySrc => InstructionFields.Dst | InstructionFields.Src | InstructionFields.Offset,
        OperandLayout.Jump => InstructionFields.Offset,
        OperandLayout.Jump32 => InstructionFields.Immediate,
        OperandLayout.ConditionImm => InstructionFields.Dst | InstructionFields.Offset | InstructionFields.Immediate,
        OperandLayout.ConditionReg => InstructionFields.Dst | InstructionFields.Src | InstructionFields.Offset,
        OperandLayout.CallHelper => InstructionFields.Immediate,
        OperandLayout.CallLocal => InstructionFields.Immediate,
        OperandLayout.CallKfunc => InstructionFields.Immediate | InstructionFields.Offset,
        OperandLayout.CallRegister => InstructionFields.Dst,
        OperandLayout.Imm64 => InstructionFields.Dst | InstructionFields.Immediate,
        OperandLayout.Imm64Pseudo => InstructionFields.Dst | InstructionFields.Immediate,
        OperandLayout.PacketAbsolute => InstructionFields.Immediate,
        OperandLayout.PacketIndirect => InstructionFields.Src | InstructionFields.Immediate,
        OperandLayout.AddressSpaceCast => InstructionFields.Dst | InstructionFields.Src | InstructionFields.Immediate,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };
}
