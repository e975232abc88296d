using System.Globalization;

namespace Bpf.Isa;

/// <summary>
/// Writes one valid instruction the way llvm-objdump and the kernel print BPF:
/// <c>r0 += r1</c>, <c>w0 = (s16)w1</c>, <c>if r1 &gt; r2 goto +3</c>, <c>r0 = *(u32 *)(r1 + 4)</c>,
/// <c>lock *(u64 *)(r10 - 8) += r1</c>, <c>r1 = map[fd:3]</c>. 32-bit operations name their
/// registers <c>w0</c>-<c>w10</c>.
/// </summary>
internal static class LlvmFormatter
{
    /// <summary>Writes the instruction at <paramref name="index"/>, described by <paramref name="info"/>.</summary>
    /// <param name="info">The instruction's table row.</param>
    /// <param name="slots">The instruction slots (an <c>lddw</c> reads the next one).</param>
    /// <param name="index">The slot of the instruction.</param>
    /// <param name="labelOf">The label of a target slot, shown after the offset as <c>&lt;label&gt;</c>; or null.</param>
    public static string Format(OpcodeInfo info, ReadOnlySpan<Instruction> slots, int index, Func<long, string?>? labelOf)
    {
        var insn = slots[index];
        bool is64 = info.Is64;
        string dst = Reg(insn.Dst, is64);
        string src = Reg(insn.Src, is64);
        string operand = info.UsesSourceRegister ? src : Decimal(insn.Immediate);
        string size = info.AccessSize == 0 ? "" : $"u{info.AccessSize * 8}";

        string Target()
        {
            long target = info.TargetOf(insn, index)!.Value;
            string text = Signed(target - index - 1);
            return labelOf?.Invoke(target) is { } label ? $"{text} <{label}>" : text;
        }

        return info.Operation switch
        {
            Operation.Mov => $"{dst} = {operand}",
            Operation.MovSx => $"{dst} = (s{info.Bits}){src}",
            Operation.AddressSpaceCast => $"{dst} = addr_space_cast({src}, {(ushort)(insn.Immediate >> 16)}, {(ushort)insn.Immediate})",
            Operation.Neg => $"{dst} = -{dst}",
            Operation.ToLe => $"{Reg(insn.Dst, true)} = le{info.Bits} {Reg(insn.Dst, true)}",
            Operation.ToBe => $"{Reg(insn.Dst, true)} = be{info.Bits} {Reg(insn.Dst, true)}",
            Operation.Swap => $"{Reg(insn.Dst, true)} = bswap{info.Bits} {Reg(insn.Dst, true)}",
            _ when info.Class is OpcodeClass.Alu or OpcodeClass.Alu64 => $"{dst} {ArithmeticOperator(info.Operation)} {operand}",

            Operation.Ja => $"goto {Target()}",
            Operation.Ja32 => $"gotol {Target()}",
            _ when info.IsConditionalJump => $"if {dst} {Comparison(info.Operation)} {operand} goto {Target()}",
            Operation.Call => $"call {Decimal(insn.Immediate)}",
            Operation.CallLocal => $"call pc{Target()}",
            Operation.CallKfunc => insn.Offset == 0
                ? $"call kfunc#{Decimal(insn.Immediate)}"
                : $"call kfunc#{Decimal(insn.Immediate)} (btf {Decimal(insn.Offset)})",
            Operation.Callx => $"callx {Reg(insn.Dst, true)}",
            Operation.Exit => "exit",

            Operation.Load => $"{Reg(insn.Dst, true)} = *({size} *){Address(insn.Src, insn.Offset)}",
            Operation.LoadSx => $"{Reg(insn.Dst, true)} = *(s{info.Bits} *){Address(insn.Src, insn.Offset)}",
            Operation.StoreImm => $"*({size} *){Address(insn.Dst, insn.Offset)} = {Decimal(insn.Immediate)}",
            Operation.Store => $"*({size} *){Address(insn.Dst, insn.Offset)} = {Reg(insn.Src, true)}",

            _ when info.IsAtomicReadModifyWrite => Atomic(info, insn, size, src),
            Operation.LoadAcquire => $"{dst} = load_acquire(({size} *){Address(insn.Src, insn.Offset)})",
            Operation.StoreRelease => $"store_release(({size} *){Address(insn.Dst, insn.Offset)}, {src})",

            Operation.LoadImm64 => $"{Reg(insn.Dst, true)} = {Wide(info, slots, index, Target)}",
            Operation.LoadPacketAbsolute => $"r0 = *({size} *)skb[{Decimal(insn.Immediate)}]",
            Operation.LoadPacketIndirect => $"r0 = *({size} *)skb[{Reg(insn.Src, true)} {Offset(insn.Immediate)}]",
            _ => throw new ArgumentOutOfRangeException(nameof(info), info.Operation, "operation without a syntax"),
        };
    }

    private static string Atomic(OpcodeInfo info, in Instruction insn, string size, string src)
    {
        string bits = info.Is64 ? "64" : "32";
        string address = Address(insn.Dst, insn.Offset);
        string name = info.Operation switch
        {
            Operation.AtomicAdd => "add",
            Operation.AtomicOr => "or",
            Operation.AtomicAnd => "and",
            Operation.AtomicXor => "xor",
            _ => "",
        };

        return info.Operation switch
        {
            // The kernel's names: xchg_64 and xchg32_32 take the address without a cast.
            Operation.AtomicXchg => $"{src} = xchg{(info.Is64 ? "" : "32")}_{bits}({address[1..^1]}, {src})",
            Operation.AtomicCmpXchg => $"{Reg(0, info.Is64)} = cmpxchg{(info.Is64 ? "" : "32")}_{bits}({address[1..^1]}, {Reg(0, info.Is64)}, {src})",
            _ when info.Fetch => $"{src} = atomic_fetch_{name}(({size} *){address}, {src})",
            _ => $"lock *({size} *){address} {ArithmeticOperator(info.Operation)} {src}",
        };
    }

    private static string Wide(OpcodeInfo info, ReadOnlySpan<Instruction> slots, int index, Func<string> target)
    {
        int first = slots[index].Immediate;
        uint second = (uint)slots[index + 1].Immediate;
        return info.PseudoSource switch
        {
            LoadImm64Source.Immediate => $"0x{((uint)first | ((ulong)second << 32)).ToString("x", CultureInfo.InvariantCulture)} ll",
            LoadImm64Source.MapFd => $"map[fd:{Decimal(first)}]",
            LoadImm64Source.MapValue => $"map[fd:{Decimal(first)}][0]+{Decimal(second)}",
            LoadImm64Source.BtfId => second == 0 ? $"btf_id[{Decimal(first)}]" : $"btf_id[{Decimal(first)}]+{Decimal(second)}",
            LoadImm64Source.Function => $"func pc{target()}",
            LoadImm64Source.MapIndex => $"map[idx:{Decimal(first)}]",
            LoadImm64Source.MapIndexValue => $"map[idx:{Decimal(first)}][0]+{Decimal(second)}",
            _ => throw new ArgumentOutOfRangeException(nameof(info), info.PseudoSource, "unknown lddw source"),
        };
    }

    private static string ArithmeticOperator(Operation operation) => operation switch
    {
        Operation.Add or Operation.AtomicAdd => "+=",
        Operation.Sub => "-=",
        Operation.Mul => "*=",
        Operation.Div => "/=",
        Operation.SDiv => "s/=",
        Operation.Or or Operation.AtomicOr => "|=",
        Operation.And or Operation.AtomicAnd => "&=",
        Operation.Lsh => "<<=",
        Operation.Rsh => ">>=",
        Operation.Mod => "%=",
        Operation.SMod => "s%=",
        Operation.Xor or Operation.AtomicXor => "^=",
        Operation.Arsh => "s>>=",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "not an arithmetic operation"),
    };

    private static string Comparison(Operation operation) => operation switch
    {
        Operation.Jeq => "==",
        Operation.Jne => "!=",
        Operation.Jgt => ">",
        Operation.Jge => ">=",
        Operation.Jlt => "<",
        Operation.Jle => "<=",
        Operation.Jsgt => "s>",
        Operation.Jsge => "s>=",
        Operation.Jslt => "s<",
        Operation.Jsle => "s<=",
        Operation.Jset => "&",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "not a conditional jump"),
    };

    private static string Reg(int register, bool is64) => (is64 ? "r" : "w") + register.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>(r1 + 4)</c> or <c>(r1 - 2)</c>.</summary>
    private static string Address(int register, short offset) => $"({Reg(register, true)} {Offset(offset)})";

    /// <summary><c>+ 4</c> or <c>- 2</c>.</summary>
    private static string Offset(long offset) => offset < 0 ? $"- {Decimal(-offset)}" : $"+ {Decimal(offset)}";

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Signed(long value) => value < 0 ? Decimal(value) : "+" + Decimal(value);
}
