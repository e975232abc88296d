using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// Arithmetic on <see cref="Scalar"/>s: the abstract counterpart of every ALU instruction, sound
/// for BPF's semantics (division by zero, masked shift counts, 32-bit results zero-extended).
/// Constants fold exactly through <see cref="AluSemantics"/>.
/// </summary>
public static class ScalarArithmetic
{
    /// <summary>A byte-order conversion of a constant (AluSemantics has only the arithmetic): the low bits, swapped unless little-endian is asked for.</summary>
    private static ulong ByteOrder(OpcodeInfo info, ulong value) => (info.Operation, info.Bits) switch
    {
        (Operation.ToLe, 16) => (ushort)value,
        (Operation.ToLe, 32) => (uint)value,
        (Operation.ToLe, _) => value,
        (_, 16) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)value),
        (_, 32) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)value),
        _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value),
    };

    /// <summary>The result of arithmetic instruction <paramref name="info"/> on <paramref name="dst"/> and <paramref name="src"/>.</summary>
    public static Scalar Apply(OpcodeInfo info, Scalar dst, Scalar src)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (dst.IsConstant && info.Operation is Operation.ToLe or Operation.ToBe or Operation.Swap)
            return Scalar.Constant(ByteOrder(info, dst.ConstantValue));
        if (dst.IsConstant && src.IsConstant)
            return Scalar.Constant(AluSemantics.Evaluate(info, dst.ConstantValue, src.ConstantValue));

        if (info.Operation is Operation.Mov)
            return info.Is64 ? src : src.ZeroExtend32();
        if (info.Operation is Operation.MovSx)
        {
            var extended = src.SignExtend(info.Bits);
            return info.Is64 ? extended : extended.ZeroExtend32();
        }

        if (info.Is64)
            return Apply64(info.Operation, dst, src);

        // 32 bits: work on the low halves (as 64-bit values with zero upper halves), then keep the
        // low half of the result. Signed operations see the low halves sign-extended.
        bool signed = info.Operation is Operation.Arsh or Operation.SDiv or Operation.SMod;
        var a = signed ? dst.SignExtend(32) : dst.ZeroExtend32();
        var b = signed ? src.SignExtend(32) : src.ZeroExtend32();
        if (info.Operation is Operation.Lsh or Operation.Rsh or Operation.Arsh)
            b = ShiftCount(src, 31);
        if (info.Operation is Operation.SDiv or Operation.SMod)
            return Scalar.Unknown.ZeroExtend32();
        return Apply64(info.Operation, a, b).ZeroExtend32();
    }

    private static Scalar Apply64(Operation operation, Scalar a, Scalar b) => operation switch
    {
        Operation.Add => Add(a, b),
        Operation.Sub => Sub(a, b),
        Operation.Neg => Sub(Scalar.Constant(0), a),
        Operation.Mul => Mul(a, b),
        Operation.And => And(a, b),
        Operation.Or => Or(a, b),
        Operation.Xor => Xor(a, b),
        Operation.Lsh => Lsh(a, ShiftCount(b, 63)),
        Operation.Rsh => Rsh(a, ShiftCount(b, 63)),
        Operation.Arsh => Arsh(a, ShiftCount(b, 63)),
        Operation.Div => Div(a, b),
        Operation.Mod => Mod(a, b),
        _ => Scalar.Unknown, // signed division and modulo: not tracked, as in Linux
    };

    /// <summary>The shift count BPF uses: the operand masked to the width.</summary>
    private static Scalar ShiftCount(Scalar count, int mask) =>
        count.IsConstant ? Scalar.Constant(count.ConstantValue & (ulong)mask)
        : count.UMax <= (ulong)mask ? count
        : Scalar.UnsignedRange(0, (ulong)mask);

    private static Scalar Add(Scalar a, Scalar b)
    {
        var result = Scalar.Unknown with { Bits = a.Bits + b.Bits };
        ulong umin = a.UMin + b.UMin, umax = a.UMax + b.UMax;
        if (umin >= a.UMin && umax >= a.UMax)
            result = result with { UMin = umin, UMax = umax };
        long smin = a.SMin + b.SMin, smax = a.SMax + b.SMax;
        if (!AddOverflows(a.SMin, b.SMin) && !AddOverflows(a.SMax, b.SMax))
            result = result with { SMin = smin, SMax = smax };
        uint u32min = a.U32Min + b.U32Min, u32max = a.U32Max + b.U32Max;
        if (u32min >= a.U32Min && u32max >= a.U32Max)
            result = result with { U32Min = u32min, U32Max = u32max };
        return result.Normalize();
    }

    private static Scalar Sub(Scalar a, Scalar b)
    {
        var result = Scalar.Unknown with { Bits = a.Bits - b.Bits };
        if (a.UMin >= b.UMax)
            result = result with { UMin = a.UMin - b.UMax, UMax = a.UMax - b.UMin };
        if (!SubOverflows(a.SMin, b.SMax) && !SubOverflows(a.SMax, b.SMin))
            result = result with { SMin = a.SMin - b.SMax, SMax = a.SMax - b.SMin };
        if (a.U32Min >= b.U32Max)
            result = result with { U32Min = a.U32Min - b.U32Max, U32Max = a.U32Max - b.U32Min };
        return result.Normalize();
    }

    private static Scalar Mul(Scalar a, Scalar b)
    {
        var result = Scalar.Unknown with { Bits = a.Bits * b.Bits };
        if (!MulOverflows(a.UMax, b.UMax))
            result = result with { UMin = a.UMin * b.UMin, UMax = a.UMax * b.UMax };
        return result.Normalize();
    }

    private static Scalar And(Scalar a, Scalar b)
    {
        var bits = a.Bits & b.Bits;
        var result = Scalar.Unknown with { Bits = bits, UMin = bits.Min, UMax = Math.Min(a.UMax, b.UMax) };
        if (a.SMin >= 0 || b.SMin >= 0)
            result = result with { SMin = 0 }; // the sign bit is clear in one operand, so in the result
        return result.Normalize();
    }

    private static Scalar Or(Scalar a, Scalar b)
    {
        var bits = a.Bits | b.Bits;
        var result = Scalar.Unknown with { Bits = bits, UMin = Math.Max(a.UMin, b.UMin), UMax = bits.Max };
        return result.Normalize();
    }

    private static Scalar Xor(Scalar a, Scalar b) => (Scalar.Unknown with { Bits = a.Bits ^ b.Bits }).Normalize();

    private static Scalar Lsh(Scalar a, Scalar count)
    {
        if (count.IsConstant)
        {
            int k = (int)count.ConstantValue;
            var result = Scalar.Unknown with { Bits = a.Bits << k };
            if (k == 0 || a.UMax >> (64 - k) == 0)
                result = result with { UMin = a.UMin << k, UMax = a.UMax << k };
            return result.Normalize();
        }

        // A count in a range: each bit below the smallest count is known zero.
        var low = new Tnum(0, ulong.MaxValue << (int)count.UMin);
        var ranged = Scalar.Unknown with { Bits = low };
        if (count.UMax < 64 && a.UMax >> (int)(64 - count.UMax) == 0 && count.UMax > 0)
            ranged = ranged with { UMin = a.UMin << (int)count.UMin, UMax = a.UMax << (int)count.UMax };
        return ranged.Normalize();
    }

    private static Scalar Rsh(Scalar a, Scalar count)
    {
        if (count.IsConstant)
        {
            int k = (int)count.ConstantValue;
            return (Scalar.Unknown with { Bits = a.Bits >>> k, UMin = a.UMin >> k, UMax = a.UMax >> k }).Normalize();
        }

        return Scalar.UnsignedRange(a.UMin >> (int)count.UMax, a.UMax >> (int)count.UMin);
    }

    private static Scalar Arsh(Scalar a, Scalar count)
    {
        if (count.IsConstant)
        {
            int k = (int)count.ConstantValue;
            return (Scalar.Unknown with { Bits = a.Bits.ShiftRightArithmetic(k, 64), SMin = a.SMin >> k, SMax = a.SMax >> k }).Normalize();
        }

        // Shifting moves a value towards 0 or -1: the extremes come from the extreme counts.
        long smin = Math.Min(a.SMin >> (int)count.UMin, a.SMin >> (int)count.UMax);
        long smax = Math.Max(a.SMax >> (int)count.UMin, a.SMax >> (int)count.UMax);
        return Scalar.SignedRange(smin, smax);
    }

    private static Scalar Div(Scalar a, Scalar b)
    {
        if (b.IsConstant)
        {
            ulong divisor = b.ConstantValue;
            return divisor == 0 ? Scalar.Constant(0) : Scalar.UnsignedRange(a.UMin / divisor, a.UMax / divisor);
        }

        // Dividing by at least 1 makes nothing larger; by 0 gives 0.
        return Scalar.UnsignedRange(0, b.UMin == 0 ? a.UMax : a.UMax / b.UMin);
    }

    private static Scalar Mod(Scalar a, Scalar b)
    {
        // x % y is below y, and at most x; x % 0 is x.
        ulong max = b.UMin == 0 ? a.UMax : Math.Min(a.UMax, b.UMax - 1);
        return Scalar.UnsignedRange(0, max);
    }

    private static bool AddOverflows(long x, long y)
    {
        long sum = x + y;
        return ((x ^ sum) & (y ^ sum)) < 0;
    }

    private static bool SubOverflows(long x, long y)
    {
        long difference = x - y;
        return ((x ^ y) & (x ^ difference)) < 0;
    }

    private static bool MulOverflows(ulong x, ulong y) => x != 0 && y > ulong.MaxValue / x;
}
