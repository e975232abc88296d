namespace Bpf.Isa;

/// <summary>
/// What arithmetic instructions compute, on concrete values, exactly as RFC 9669 defines it: the
/// reference interpreter runs programs with it and the verifier folds constants with it.
/// </summary>
public static class AluSemantics
{
    /// <summary>
    /// The result of an arithmetic instruction (<see cref="Operation.Add"/> to <see cref="Operation.Arsh"/>)
    /// on <paramref name="dst"/> and <paramref name="src"/> (the source register, or the immediate
    /// sign-extended for 64-bit and zero-extended for 32-bit operations); 32-bit results zero-extend.
    /// </summary>
    public static ulong Evaluate(OpcodeInfo info, ulong dst, ulong src) =>
        info.Is64 ? Evaluate64(info, dst, src) : Evaluate32(info, (uint)dst, (uint)src);

    private static ulong Evaluate64(OpcodeInfo info, ulong dst, ulong src) => info.Operation switch
    {
        Operation.Add => dst + src,
        Operation.Sub => dst - src,
        Operation.Mul => dst * src,
        Operation.Div => src == 0 ? 0 : dst / src,
        Operation.SDiv => src == 0 ? 0 : (long)src == -1 ? (ulong)(-(long)dst) : (ulong)((long)dst / (long)src),
        Operation.Or => dst | src,
        Operation.And => dst & src,
        Operation.Lsh => dst << (int)(src & 63),
        Operation.Rsh => dst >> (int)(src & 63),
        Operation.Neg => (ulong)(-(long)dst),
        Operation.Mod => src == 0 ? dst : dst % src,
        Operation.SMod => src == 0 ? dst : (long)src == -1 ? 0 : (ulong)((long)dst % (long)src),
        Operation.Xor => dst ^ src,
        Operation.Mov => src,
        Operation.MovSx => info.Bits switch
        {
            8 => (ulong)(sbyte)src,
            16 => (ulong)(short)src,
            _ => (ulong)(int)src,
        },
        Operation.Arsh => (ulong)((long)dst >> (int)(src & 63)),
        _ => throw new InvalidOperationException($"{info.Operation} is not arithmetic"),
    };

    private static ulong Evaluate32(OpcodeInfo info, uint dst, uint src) => info.Operation switch
    {
        Operation.Add => dst + src,
        Operation.Sub => dst - src,
        Operation.Mul => dst * src,
        Operation.Div => src == 0 ? 0 : dst / src,
        Operation.SDiv => src == 0 ? 0 : (int)src == -1 ? (uint)(-(int)dst) : (uint)((int)dst / (int)src),
        Operation.Or => dst | src,
        Operation.And => dst & src,
        Operation.Lsh => dst << (int)(src & 31),
        Operation.Rsh => dst >> (int)(src & 31),
        Operation.Neg => (uint)(-(int)dst),
        Operation.Mod => src == 0 ? dst : dst % src,
        Operation.SMod => src == 0 ? dst : (int)src == -1 ? 0 : (uint)((int)dst % (int)src),
        Operation.Xor => dst ^ src,
        Operation.Mov => src,
        Operation.MovSx => info.Bits == 8 ? (uint)(sbyte)src : (uint)(short)src,
        Operation.Arsh => (uint)((int)dst >> (int)(src & 31)),
        _ => throw new InvalidOperationException($"{info.Operation} is not arithmetic"),
    };

    /// <summary>
    /// Whether a conditional jump (<see cref="Operation.Jeq"/> to <see cref="Operation.Jsle"/>) is
    /// taken for <paramref name="dst"/> and <paramref name="src"/>; JMP32 compares the low halves.
    /// </summary>
    public static bool IsTaken(OpcodeInfo info, ulong dst, ulong src)
    {
        if (!info.Is64)
        {
            uint d = (uint)dst, s = (uint)src;
            return info.Operation switch
            {
                Operation.Jeq => d == s,
                Operation.Jgt => d > s,
                Operation.Jge => d >= s,
                Operation.Jset => (d & s) != 0,
                Operation.Jne => d != s,
                Operation.Jsgt => (int)d > (int)s,
                Operation.Jsge => (int)d >= (int)s,
                Operation.Jlt => d < s,
                Operation.Jle => d <= s,
                Operation.Jslt => (int)d < (int)s,
                Operation.Jsle => (int)d <= (int)s,
                _ => throw new InvalidOperationException($"{info.Operation} is not a comparison"),
            };
        }

        return info.Operation switch
        {
            Operation.Jeq => dst == src,
            Operation.Jgt => dst > src,
            Operation.Jge => dst >= src,
            Operation.Jset => (dst & src) != 0,
            Operation.Jne => dst != src,
            Operation.Jsgt => (long)dst > (long)src,
            Operation.Jsge => (long)dst >= (long)src,
            Operation.Jlt => dst < src,
            Operation.Jle => dst <= src,
            Operation.Jslt => (long)dst < (long)src,
            Operation.Jsle => (long)dst <= (long)src,
            _ => throw new InvalidOperationException($"{info.Operation} is not a comparison"),
        };
    }
}
