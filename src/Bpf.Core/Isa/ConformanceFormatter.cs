using System.Globalization;

namespace Bpf.Isa;

/// <summary>
/// Writes one valid instruction in the conformance suite's syntax, exactly as the
/// <see cref="Assembler"/> reads it back: every field the layout carries appears in the text,
/// immediates as signed decimal, the 64-bit immediate of <c>lddw</c> in hex, offsets as <c>+N</c>/<c>-N</c>.
/// </summary>
internal static class ConformanceFormatter
{
    /// <summary>Writes the instruction at <paramref name="index"/>, described by <paramref name="info"/>.</summary>
    /// <param name="info">The instruction's table row.</param>
    /// <param name="slots">The instruction slots (an <c>lddw</c> reads the next one).</param>
    /// <param name="index">The slot of the instruction.</param>
    /// <param name="labelOf">The label of a target slot, or null to write relative targets.</param>
    public static string Format(OpcodeInfo info, ReadOnlySpan<Instruction> slots, int index, Func<long, string?>? labelOf)
    {
        var insn = slots[index];
        string m = info.Mnemonic;
        string dst = AssemblySyntax.Register(insn.Dst);
        string src = AssemblySyntax.Register(insn.Src);
        string imm = Decimal(insn.Immediate);

        string Target() => TargetText(info, insn, index, labelOf);

        return info.Layout switch
        {
            OperandLayout.None => m,
            OperandLayout.DstSrc => $"{m} {dst}, {src}",
            OperandLayout.DstImm => $"{m} {dst}, {imm}",
            OperandLayout.Dst => $"{m} {dst}",
            OperandLayout.DstMemory => $"{m} {dst}, {Memory(insn.Src, insn.Offset)}",
            OperandLayout.MemoryImm => $"{m} {Memory(insn.Dst, insn.Offset)}, {imm}",
            OperandLayout.MemorySrc => $"{m} {Memory(insn.Dst, insn.Offset)}, {src}",
            OperandLayout.Jump or OperandLayout.Jump32 or OperandLayout.CallLocal => $"{m} {Target()}",
            OperandLayout.ConditionImm => $"{m} {dst}, {imm}, {Target()}",
            OperandLayout.ConditionReg => $"{m} {dst}, {src}, {Target()}",
            OperandLayout.CallHelper => $"{m} {imm}",
            OperandLayout.CallKfunc => insn.Offset == 0 ? $"{m} {imm}" : $"{m} {imm}, {Decimal(insn.Offset)}",
            OperandLayout.CallRegister => $"{m} {dst}",
            OperandLayout.Imm64 => $"{m} {dst}, 0x{Imm64(slots, index).ToString("x", CultureInfo.InvariantCulture)}",
            OperandLayout.Imm64Pseudo => $"{m} {dst}, {Pseudo(info, slots, index, labelOf)}",
            OperandLayout.PacketAbsolute => $"{m} {imm}",
            OperandLayout.PacketIndirect => $"{m} {src}, {imm}",
            OperandLayout.AddressSpaceCast => $"{m} {dst}, {src}, {(ushort)(insn.Immediate >> 16)}, {(ushort)insn.Immediate}",
            _ => throw new ArgumentOutOfRangeException(nameof(info), info.Layout, "operand layout without a syntax"),
        };
    }

    private static string Pseudo(OpcodeInfo info, ReadOnlySpan<Instruction> slots, int index, Func<long, string?>? labelOf)
    {
        string name = AssemblySyntax.PseudoName(info.PseudoSource);
        var insn = slots[index];
        if (info.PseudoSource == LoadImm64Source.Function)
            return $"{name}({TargetText(info, insn, index, labelOf)})";

        string first = Decimal(insn.Immediate);
        int second = slots[index + 1].Immediate;
        // A map value always shows its offset, so the text says which kind of load it is at a glance.
        bool showSecond = second != 0 || info.PseudoSource is LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue;
        return showSecond ? $"{name}({first}{Signed(second)})" : $"{name}({first})";
    }

    /// <summary>A target as its label, or as the signed distance from the next instruction.</summary>
    private static string TargetText(OpcodeInfo info, in Instruction insn, int index, Func<long, string?>? labelOf)
    {
        long target = info.TargetOf(insn, index)!.Value;
        return labelOf?.Invoke(target) ?? Signed(target - index - 1);
    }

    private static string Memory(int register, short offset) => $"[{AssemblySyntax.Register(register)}{Signed(offset)}]";

    private static ulong Imm64(ReadOnlySpan<Instruction> slots, int index) =>
        (uint)slots[index].Immediate | ((ulong)(uint)slots[index + 1].Immediate << 32);

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Signed(long value) => value < 0 ? Decimal(value) : "+" + Decimal(value);
}
