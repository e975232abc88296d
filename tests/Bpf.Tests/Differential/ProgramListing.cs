using System.Globalization;
using System.Text;
using Bpf.Isa;

namespace Bpf.Tests.Differential;

/// <summary>
/// Prints instruction slots for people reading a failure: slot number, raw bytes, the mnemonic
/// from the <see cref="OpcodeTable"/> with its operands, and the slot a jump or call lands on.
/// (The project's disassembler is not on this branch yet; this needs nothing but the table.)
/// </summary>
public static class ProgramListing
{
    /// <summary>The listing of <paramref name="slots"/>, one line per slot.</summary>
    public static string Format(ReadOnlySpan<Instruction> slots)
    {
        var text = new StringBuilder();
        for (int pc = 0; pc < slots.Length; pc++)
        {
            var insn = slots[pc];
            text.Append(CultureInfo.InvariantCulture, $"{pc,6}: {insn.ToHex()}  ");
            if (!OpcodeTable.TryDescribe(insn, out var info, out var error))
            {
                text.Append(CultureInfo.InvariantCulture, $"(invalid: {error})").AppendLine();
                continue;
            }

            text.Append(Describe(slots, pc, info!)).AppendLine();
            if (info!.SlotCount == 2 && pc + 1 < slots.Length)
            {
                pc++;
                text.Append(CultureInfo.InvariantCulture, $"{pc,6}: {slots[pc].ToHex()}  (second slot)").AppendLine();
            }
        }

        return text.ToString();
    }

    private static string Describe(ReadOnlySpan<Instruction> slots, int pc, OpcodeInfo info)
    {
        var insn = slots[pc];
        string m = info.Mnemonic;
        string dst = $"r{insn.Dst}", src = $"r{insn.Src}";
        string imm = insn.Immediate.ToString(CultureInfo.InvariantCulture);
        string target = info.TargetOf(insn, pc) is { } t ? $" -> {t}" : "";
        string Memory(string register) => insn.Offset == 0 ? $"[{register}]" : $"[{register}{insn.Offset:+0;-0}]";

        return info.Layout switch
        {
            OperandLayout.None => m,
            OperandLayout.DstSrc => $"{m} {dst}, {src}",
            OperandLayout.DstImm => $"{m} {dst}, {imm}",
            OperandLayout.Dst => $"{m} {dst}",
            OperandLayout.DstMemory => $"{m} {dst}, {Memory(src)}",
            OperandLayout.MemoryImm => $"{m} {Memory(dst)}, {imm}",
            OperandLayout.MemorySrc => $"{m} {Memory(dst)}, {src}",
            OperandLayout.Jump => $"{m} {insn.Offset:+0;-0}{target}",
            OperandLayout.Jump32 => $"{m} {insn.Immediate:+0;-0}{target}",
            OperandLayout.ConditionImm => $"{m} {dst}, {imm}, {insn.Offset:+0;-0}{target}",
            OperandLayout.ConditionReg => $"{m} {dst}, {src}, {insn.Offset:+0;-0}{target}",
            OperandLayout.CallHelper => $"{m} {imm}",
            OperandLayout.CallLocal => $"{m} {insn.Immediate:+0;-0}{target}",
            OperandLayout.CallRegister => $"{m} {dst}",
            OperandLayout.Imm64 when pc + 1 < slots.Length =>
                $"{m} {dst}, 0x{(uint)insn.Immediate | ((ulong)(uint)slots[pc + 1].Immediate << 32):x}",
            OperandLayout.PacketAbsolute => $"{m} {imm}",
            OperandLayout.PacketIndirect => $"{m} {src}, {imm}",
            _ => $"{m} dst={dst} src={src} off={insn.Offset} imm={imm}",
        };
    }
}
