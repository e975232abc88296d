using System.Globalization;
using System.Text;
using Bpf.Isa;

namespace Bpf.Tests.Differential;

/// <summary>
/// Prints instruction slots for people reading a failure: slot number, raw bytes, the instruction
/// as the <see cref="Disassembler"/> writes it, and the slot a jump or call lands on. Unlike
/// <see cref="Disassembler.Disassemble"/> it takes slots that need not be a valid program.
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
            text.Append(CultureInfo.InvariantCulture, $"{pc,6}: {insn.ToHex()}  {Disassembler.Format(slots, pc)}");
            if (OpcodeTable.TryDescribe(insn, out var info, out _) && info!.TargetOf(insn, pc) is { } target)
                text.Append(CultureInfo.InvariantCulture, $"  -> {target}");
            text.AppendLine();
            if (info is { SlotCount: 2 } && pc + 1 < slots.Length)
            {
                pc++;
                text.Append(CultureInfo.InvariantCulture, $"{pc,6}: {slots[pc].ToHex()}  (second slot)").AppendLine();
            }
        }

        return text.ToString();
    }
}
