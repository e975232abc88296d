using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// What a conditional jump tells about its operands: whether it can be taken at all, and how each
/// operand narrows on each side (after <c>if r1 &lt; 10</c>, r1 is at most 9 on the taken side and at
/// least 10 on the other). JMP32 comparisons narrow the 32-bit views, JMP ones the 64-bit views;
/// <see cref="Scalar.Normalize"/> carries the news to the others.
/// </summary>
public static class ScalarComparisons
{
    /// <summary>True if the jump is taken for every pair of values, false if for none, null if it depends.</summary>
    public static bool? IsTaken(OpcodeInfo info, Scalar dst, Scalar src)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (dst.IsConstant && src.IsConstant)
            return AluSemantics.IsTaken(info, dst.ConstantValue, src.ConstantValue);

        var (d, s) = View(info, dst, src);
        return info.Operation switch
        {
            Operation.Jeq => d.UMax < s.UMin || d.UMin > s.UMax || d.SMax < s.SMin || d.SMin > s.SMax || !Overlap(d.Bits, s.Bits) ? false : null,
            Operation.Jne => d.UMax < s.UMin || d.UMin > s.UMax || d.SMax < s.SMin || d.SMin > s.SMax || !Overlap(d.Bits, s.Bits) ? true : null,
            Operation.Jgt => d.UMin > s.UMax ? true : d.UMax <= s.UMin ? false : null,
            Operation.Jge => d.UMin >= s.UMax ? true : d.UMax < s.UMin ? false : null,
            Operation.Jlt => d.UMax < s.UMin ? true : d.UMin >= s.UMax ? false : null,
            Operation.Jle => d.UMax <= s.UMin ? true : d.UMin > s.UMax ? false : null,
            Operation.Jsgt => d.SMin > s.SMax ? true : d.SMax <= s.SMin ? false : null,
            Operation.Jsge => d.SMin >= s.SMax ? true : d.SMax < s.SMin ? false : null,
            Operation.Jslt => d.SMax < s.SMin ? true : d.SMin >= s.SMax ? false : null,
            Operation.Jsle => d.SMax <= s.SMin ? true : d.SMin > s.SMax ? false : null,
            Operation.Jset => (d.Bits.Value & s.Bits.Value) != 0 ? true : ((d.Bits.Value | d.Bits.Mask) & (s.Bits.Value | s.Bits.Mask)) == 0 ? false : null,
            _ => null,
        };
    }

    /// <summary>
    /// The operands as they are known on one side of the jump: on the taken side when
    /// <paramref name="taken"/> is true, on the fall-through side otherwise.
    /// </summary>
    public static (Scalar Dst, Scalar Src) Refine(OpcodeInfo info, Scalar dst, Scalar src, bool taken)
    {
        ArgumentNullException.ThrowIfNull(info);
        var operation = taken ? info.Operation : Negate(info.Operation);
        var (d, s) = View(info, dst, src);
        (d, s) = Narrow(operation, d, s);
        if (info.Is64)
            return (d.Normalize(), s.Normalize());

        // JMP32 learned about the low halves only: put them back under the untouched upper halves.
        bool signed = IsSigned(info.Operation);
        return (WithLow(dst, d, signed).Normalize(), WithLow(src, s, signed).Normalize());
    }

    /// <summary>
    /// The operands as the comparison reads them: whole, or (JMP32) their low halves as 64-bit
    /// values, sign-extended for signed comparisons and zero-extended for the others.
    /// </summary>
    private static (Scalar Dst, Scalar Src) View(OpcodeInfo info, Scalar dst, Scalar src)
    {
        if (info.Is64)
            return (dst, src);
        return IsSigned(info.Operation) ? (dst.SignExtend(32), src.SignExtend(32)) : (dst.ZeroExtend32(), src.ZeroExtend32());
    }

    private static bool IsSigned(Operation operation) => operation is Operation.Jsgt or Operation.Jsge or Operation.Jslt or Operation.Jsle;

    /// <summary><paramref name="whole"/> with what the 32-bit comparison learned about its low half.</summary>
    private static Scalar WithLow(Scalar whole, Scalar low, bool signed)
    {
        var result = whole with { Bits = whole.Bits.WithLow32(whole.Bits.Low32.Intersect(low.Bits.Low32)) };
        return signed
            ? result with
            {
                S32Min = Math.Max(whole.S32Min, (int)Math.Max(low.SMin, int.MinValue)),
                S32Max = Math.Min(whole.S32Max, (int)Math.Min(low.SMax, int.MaxValue)),
            }
            : result with
            {
                U32Min = Math.Max(whole.U32Min, (uint)Math.Min(low.UMin, uint.MaxValue)),
                U32Max = Math.Min(whole.U32Max, (uint)Math.Min(low.UMax, uint.MaxValue)),
            };
    }

    private static (Scalar, Scalar) Narrow(Operation operation, Scalar d, Scalar s)
    {
        switch (operation)
        {
            case Operation.Jeq:
            {
                var both = Intersect(d, s);
                return (both, both);
            }

            case Operation.Jne:
                // Only a constant on one side can trim an end of the other's range.
                if (s.IsConstant)
                    d = TrimEnd(d, s.ConstantValue);
                if (d.IsConstant)
                    s = TrimEnd(s, d.ConstantValue);
                return (d, s);

            case Operation.Jgt: // d > s
                return (d with { UMin = Math.Max(d.UMin, SaturatingIncrement(s.UMin)) }, s with { UMax = Math.Min(s.UMax, SaturatingDecrement(d.UMax)) });
            case Operation.Jge:
                return (d with { UMin = Math.Max(d.UMin, s.UMin) }, s with { UMax = Math.Min(s.UMax, d.UMax) });
            case Operation.Jlt: // d < s
                return (d with { UMax = Math.Min(d.UMax, SaturatingDecrement(s.UMax)) }, s with { UMin = Math.Max(s.UMin, SaturatingIncrement(d.UMin)) });
            case Operation.Jle:
                return (d with { UMax = Math.Min(d.UMax, s.UMax) }, s with { UMin = Math.Max(s.UMin, d.UMin) });
            case Operation.Jsgt:
                return (d with { SMin = Math.Max(d.SMin, SaturatingIncrement(s.SMin)) }, s with { SMax = Math.Min(s.SMax, SaturatingDecrement(d.SMax)) });
            case Operation.Jsge:
                return (d with { SMin = Math.Max(d.SMin, s.SMin) }, s with { SMax = Math.Min(s.SMax, d.SMax) });
            case Operation.Jslt:
                return (d with { SMax = Math.Min(d.SMax, SaturatingDecrement(s.SMax)) }, s with { SMin = Math.Max(s.SMin, SaturatingIncrement(d.SMin)) });
            case Operation.Jsle:
                return (d with { SMax = Math.Min(d.SMax, s.SMax) }, s with { SMin = Math.Max(s.SMin, d.SMin) });

            case Operation.Jset when s.IsConstant && BitCount(s.ConstantValue) == 1:
                // One bit tested and set: that bit is known 1.
                return (d with { Bits = d.Bits | Tnum.Constant(s.ConstantValue) }, s);
            case JsetNotTaken when s.IsConstant:
                // No tested bit set: every tested bit is known 0.
                return (d with { Bits = d.Bits & Tnum.Constant(~s.ConstantValue) }, s);
            default:
                return (d, s);
        }
    }

    // The fall-through side of jset has no jump of its own; this stands for "(d & s) == 0".
    private const Operation JsetNotTaken = (Operation)byte.MaxValue;

    private static Operation Negate(Operation operation) => operation switch
    {
        Operation.Jeq => Operation.Jne,
        Operation.Jne => Operation.Jeq,
        Operation.Jgt => Operation.Jle,
        Operation.Jge => Operation.Jlt,
        Operation.Jlt => Operation.Jge,
        Operation.Jle => Operation.Jgt,
        Operation.Jsgt => Operation.Jsle,
        Operation.Jsge => Operation.Jslt,
        Operation.Jslt => Operation.Jsge,
        Operation.Jsle => Operation.Jsgt,
        Operation.Jset => JsetNotTaken,
        _ => operation,
    };

    private static Scalar Intersect(Scalar a, Scalar b) => new(
        a.Bits.Intersect(b.Bits),
        Math.Max(a.UMin, b.UMin), Math.Min(a.UMax, b.UMax),
        Math.Max(a.SMin, b.SMin), Math.Min(a.SMax, b.SMax),
        Math.Max(a.U32Min, b.U32Min), Math.Min(a.U32Max, b.U32Max),
        Math.Max(a.S32Min, b.S32Min), Math.Min(a.S32Max, b.S32Max));

    /// <summary>Removes <paramref name="value"/> from <paramref name="scalar"/> when it is an end of a range.</summary>
    private static Scalar TrimEnd(Scalar scalar, ulong value)
    {
        if (scalar.UMin == value && scalar.UMin < scalar.UMax)
            scalar = scalar with { UMin = value + 1 };
        else if (scalar.UMax == value && scalar.UMin < scalar.UMax)
            scalar = scalar with { UMax = value - 1 };
        if (scalar.SMin == (long)value && scalar.SMin < scalar.SMax)
            scalar = scalar with { SMin = (long)value + 1 };
        else if (scalar.SMax == (long)value && scalar.SMin < scalar.SMax)
            scalar = scalar with { SMax = (long)value - 1 };
        return scalar;
    }

    private static bool Overlap(Tnum a, Tnum b) => ((a.Value ^ b.Value) & ~a.Mask & ~b.Mask) == 0;

    private static int BitCount(ulong value) => System.Numerics.BitOperations.PopCount(value);

    private static ulong SaturatingIncrement(ulong value) => value == ulong.MaxValue ? value : value + 1;

    private static ulong SaturatingDecrement(ulong value) => value == 0 ? value : value - 1;

    private static long SaturatingIncrement(long value) => value == long.MaxValue ? value : value + 1;

    private static long SaturatingDecrement(long value) => value == long.MinValue ? value : value - 1;
}
