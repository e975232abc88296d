namespace Bpf.Verification;

/// <summary>
/// What the verifier knows about a scalar register: its bits (<see cref="Bits"/>) and its range
/// read four ways, unsigned and signed at 64 and at 32 bits (the low half). Every operation is sound:
/// the result contains every concrete result of the operation on values the operands contain, and
/// each result is kept tight by letting the five views refine each other (<see cref="Normalize"/>),
/// as the Linux verifier does.
/// </summary>
public readonly record struct Scalar(
    Tnum Bits,
    ulong UMin, ulong UMax, long SMin, long SMax,
    uint U32Min, uint U32Max, int S32Min, int S32Max)
{
    /// <summary>Nothing known.</summary>
    public static readonly Scalar Unknown = new(Tnum.Unknown, 0, ulong.MaxValue, long.MinValue, long.MaxValue, 0, uint.MaxValue, int.MinValue, int.MaxValue);

    /// <summary>Exactly <paramref name="value"/>.</summary>
    public static Scalar Constant(ulong value) =>
        new(Tnum.Constant(value), value, value, (long)value, (long)value, (uint)value, (uint)value, (int)value, (int)value);

    /// <summary>Every value from <paramref name="min"/> to <paramref name="max"/>, unsigned.</summary>
    public static Scalar UnsignedRange(ulong min, ulong max) => (Unknown with { UMin = min, UMax = max }).Normalize();

    /// <summary>Every value from <paramref name="min"/> to <paramref name="max"/>, signed.</summary>
    public static Scalar SignedRange(long min, long max) => (Unknown with { SMin = min, SMax = max }).Normalize();

    /// <summary>Whatever the given tnum allows.</summary>
    public static Scalar FromBits(Tnum bits) => (Unknown with { Bits = bits }).Normalize();

    /// <summary>True when exactly one value is possible.</summary>
    public bool IsConstant => Bits.IsConstant;

    /// <summary>The value, when <see cref="IsConstant"/>.</summary>
    public ulong ConstantValue => Bits.Value;

    /// <summary>True when the low 32 bits are one known value.</summary>
    public bool IsConstant32 => Bits.Low32.IsConstant;

    /// <summary>True if <paramref name="value"/> is a value this scalar may have.</summary>
    public bool Contains(ulong value) =>
        Bits.Contains(value) && value >= UMin && value <= UMax && (long)value >= SMin && (long)value <= SMax
        && (uint)value >= U32Min && (uint)value <= U32Max && (int)value >= S32Min && (int)value <= S32Max;

    /// <summary>True if no value satisfies every view (a path that cannot happen).</summary>
    public bool IsEmpty =>
        UMin > UMax || SMin > SMax || U32Min > U32Max || S32Min > S32Max
        || (Bits.Value & Bits.Mask) != 0 || Bits.Min > UMax || Bits.Max < UMin;

    /// <summary>
    /// Lets the five views refine each other until nothing changes: bounds from the bits, signed
    /// from unsigned where the range does not cross the sign, 64-bit from 32-bit where the upper half
    /// is fixed, and the bits from the unsigned range.
    /// </summary>
    public Scalar Normalize()
    {
        var s = this;
        for (int round = 0; round < 4; round++)
        {
            var before = s;
            s = s.BoundsFromBits().DeduceBounds().BitsFromBounds();
            if (s == before || s.IsEmpty)
                break;
        }

        return s;
    }

    private Scalar BoundsFromBits()
    {
        var low = Bits.Low32;
        return this with
        {
            UMin = Math.Max(UMin, Bits.Min),
            UMax = Math.Min(UMax, Bits.Max),
            SMin = Math.Max(SMin, (long)(Bits.Value | (Bits.Mask & 0x8000_0000_0000_0000))),
            SMax = Math.Min(SMax, (long)(Bits.Value | (Bits.Mask & 0x7FFF_FFFF_FFFF_FFFF))),
            U32Min = Math.Max(U32Min, (uint)low.Min),
            U32Max = Math.Min(U32Max, (uint)low.Max),
            S32Min = Math.Max(S32Min, (int)(uint)(low.Value | (low.Mask & 0x8000_0000))),
            S32Max = Math.Min(S32Max, (int)(uint)(low.Value | (low.Mask & 0x7FFF_FFFF))),
        };
    }

    private Scalar DeduceBounds()
    {
        var s = this;

        // When every value has the same upper 32 bits (read unsigned or signed), the order of the
        // values is the unsigned order of their low halves: the 64-bit range bounds the 32-bit one,
        // and the 32-bit one narrows the 64-bit range back.
        if (s.UMin >> 32 == s.UMax >> 32)
        {
            s = s with { U32Min = Math.Max(s.U32Min, (uint)s.UMin), U32Max = Math.Min(s.U32Max, (uint)s.UMax) };
            ulong high = s.UMin & 0xFFFF_FFFF_0000_0000;
            s = s with { UMin = Math.Max(s.UMin, high | s.U32Min), UMax = Math.Min(s.UMax, high | s.U32Max) };
        }

        if (s.SMin >> 32 == s.SMax >> 32)
        {
            s = s with { U32Min = Math.Max(s.U32Min, (uint)s.SMin), U32Max = Math.Min(s.U32Max, (uint)s.SMax) };
            long high = s.SMin & unchecked((long)0xFFFF_FFFF_0000_0000);
            s = s with { SMin = Math.Max(s.SMin, high | s.U32Min), SMax = Math.Min(s.SMax, high | s.U32Max) };
        }

        // A range on one side of the sign boundary reads the same signed and unsigned.
        if ((int)s.U32Min <= (int)s.U32Max)
            s = s with { S32Min = Math.Max(s.S32Min, (int)s.U32Min), S32Max = Math.Min(s.S32Max, (int)s.U32Max) };
        if (s.S32Min >= 0 || s.S32Max < 0)
            s = s with { U32Min = Math.Max(s.U32Min, (uint)s.S32Min), U32Max = Math.Min(s.U32Max, (uint)s.S32Max) };
        if ((long)s.UMin <= (long)s.UMax)
            s = s with { SMin = Math.Max(s.SMin, (long)s.UMin), SMax = Math.Min(s.SMax, (long)s.UMax) };
        if (s.SMin >= 0 || s.SMax < 0)
            s = s with { UMin = Math.Max(s.UMin, (ulong)s.SMin), UMax = Math.Min(s.UMax, (ulong)s.SMax) };

        return s;
    }

    private Scalar BitsFromBounds()
    {
        var bits = Bits.Intersect(Tnum.Range(UMin, UMax));
        var low = bits.Low32.Intersect(Tnum.Range(U32Min, U32Max));
        return this with { Bits = bits.WithLow32(low) };
    }

    /// <summary>The smallest scalar containing both (the join of two paths).</summary>
    public Scalar Union(Scalar other) => new(
        Bits.Union(other.Bits),
        Math.Min(UMin, other.UMin), Math.Max(UMax, other.UMax),
        Math.Min(SMin, other.SMin), Math.Max(SMax, other.SMax),
        Math.Min(U32Min, other.U32Min), Math.Max(U32Max, other.U32Max),
        Math.Min(S32Min, other.S32Min), Math.Max(S32Max, other.S32Max));

    /// <summary>True if every value of <paramref name="other"/> is a value of this scalar (state pruning).</summary>
    public bool Covers(Scalar other) =>
        Bits.Contains(other.Bits) && UMin <= other.UMin && UMax >= other.UMax && SMin <= other.SMin && SMax >= other.SMax
        && U32Min <= other.U32Min && U32Max >= other.U32Max && S32Min <= other.S32Min && S32Max >= other.S32Max;

    /// <summary>The low 32 bits as a 64-bit value with the upper half zero (every 32-bit result is this).</summary>
    public Scalar ZeroExtend32() =>
        (Unknown with { Bits = Bits.Low32, UMin = U32Min, UMax = U32Max, U32Min = U32Min, U32Max = U32Max, S32Min = S32Min, S32Max = S32Max }).Normalize();

    /// <summary>The low <paramref name="bytes"/> bytes, zero-extended (a narrow load or a truncation).</summary>
    public Scalar Truncate(int bytes)
    {
        if (bytes >= 8)
            return this;
        if (bytes == 4)
            return ZeroExtend32();
        ulong max = (1UL << (bytes * 8)) - 1;
        var bits = Bits.Truncate(bytes);
        bool fits = UMax <= max;
        return (Unknown with { Bits = bits, UMin = fits ? UMin : 0, UMax = fits ? UMax : max }).Normalize();
    }

    /// <summary>The value sign-extended from its low <paramref name="bits"/> bits (8, 16, 32) to 64.</summary>
    public Scalar SignExtend(int bits)
    {
        var result = Unknown with { Bits = Bits.SignExtend(bits) };
        long limit = 1L << (bits - 1);
        if (bits == 32)
            result = result with { SMin = S32Min, SMax = S32Max };
        else if (UMax < (ulong)limit)
            result = result with { SMin = (long)UMin, SMax = (long)UMax };
        else
            result = result with { SMin = -limit, SMax = limit - 1 };
        return result.Normalize();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        if (IsConstant)
            return $"{(long)ConstantValue}";
        var parts = new List<string>();
        if (UMin != 0 || UMax != ulong.MaxValue)
            parts.Add($"umin={UMin},umax={UMax}");
        if (SMin != long.MinValue || SMax != long.MaxValue)
            parts.Add($"smin={SMin},smax={SMax}");
        if (U32Min != 0 || U32Max != uint.MaxValue)
            parts.Add($"u32_min={U32Min},u32_max={U32Max}");
        if (S32Min != int.MinValue || S32Max != int.MaxValue)
            parts.Add($"s32_min={S32Min},s32_max={S32Max}");
        if (Bits.Mask != ulong.MaxValue)
            parts.Add($"var_off={Bits}");
        return parts.Count == 0 ? "scalar" : $"scalar({string.Join(',', parts)})";
    }
}
