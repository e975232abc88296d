using System.Numerics;

namespace Bpf.Verification;

/// <summary>
/// A tristate number: what is known about the bits of a 64-bit value. Each bit is known 0, known 1
/// (<see cref="Value"/>) or unknown (<see cref="Mask"/>); a known bit is never also in the mask. A tnum
/// stands for every value that agrees with it on the known bits. The arithmetic is sound: the
/// result of an operation contains every result of the operation on values the operands contain.
/// </summary>
/// <param name="Value">The known 1 bits.</param>
/// <param name="Mask">The unknown bits.</param>
public readonly record struct Tnum(ulong Value, ulong Mask)
{
    /// <summary>Nothing known: every 64-bit value.</summary>
    public static readonly Tnum Unknown = new(0, ulong.MaxValue);

    /// <summary>Exactly <paramref name="value"/>.</summary>
    public static Tnum Constant(ulong value) => new(value, 0);

    /// <summary>The smallest tnum that contains every value from <paramref name="min"/> to <paramref name="max"/> (unsigned).</summary>
    public static Tnum Range(ulong min, ulong max)
    {
        ulong differing = min ^ max;
        int bits = 64 - BitOperations.LeadingZeroCount(differing);
        if (bits > 63)
            return Unknown;
        ulong delta = (1UL << bits) - 1;
        return new Tnum(min & ~delta, delta);
    }

    /// <summary>True when every bit is known.</summary>
    public bool IsConstant => Mask == 0;

    /// <summary>The smallest value the tnum contains (unknown bits 0).</summary>
    public ulong Min => Value;

    /// <summary>The largest value the tnum contains (unknown bits 1).</summary>
    public ulong Max => Value | Mask;

    /// <summary>True if <paramref name="value"/> is one of the values the tnum stands for.</summary>
    public bool Contains(ulong value) => (value & ~Mask) == Value;

    /// <summary>True if every value of <paramref name="other"/> is one of this tnum's.</summary>
    public bool Contains(Tnum other) => (other.Mask & ~Mask) == 0 && (other.Value & ~Mask) == Value;

    /// <summary>The sum.</summary>
    public static Tnum operator +(Tnum a, Tnum b)
    {
        // Known bits add as numbers; a carry can flow out of every position where either operand,
        // or the sums of the extremes, differ.
        ulong sumMasks = a.Mask + b.Mask;
        ulong sumValues = a.Value + b.Value;
        ulong sigma = sumMasks + sumValues;
        ulong chi = sigma ^ sumValues;
        ulong mu = chi | a.Mask | b.Mask;
        return new Tnum(sumValues & ~mu, mu);
    }

    /// <summary>The difference.</summary>
    public static Tnum operator -(Tnum a, Tnum b)
    {
        ulong difference = a.Value - b.Value;
        ulong alpha = difference + a.Mask;
        ulong beta = difference - b.Mask;
        ulong chi = alpha ^ beta;
        ulong mu = chi | a.Mask | b.Mask;
        return new Tnum(difference & ~mu, mu);
    }

    /// <summary>The bitwise and.</summary>
    public static Tnum operator &(Tnum a, Tnum b)
    {
        ulong alpha = a.Value | a.Mask;
        ulong beta = b.Value | b.Mask;
        ulong value = a.Value & b.Value;
        return new Tnum(value, alpha & beta & ~value);
    }

    /// <summary>The bitwise or.</summary>
    public static Tnum operator |(Tnum a, Tnum b)
    {
        ulong value = a.Value | b.Value;
        ulong mask = a.Mask | b.Mask;
        return new Tnum(value, mask & ~value);
    }

    /// <summary>The bitwise exclusive or.</summary>
    public static Tnum operator ^(Tnum a, Tnum b)
    {
        ulong value = a.Value ^ b.Value;
        ulong mask = a.Mask | b.Mask;
        return new Tnum(value & ~mask, mask);
    }

    /// <summary>The product (modulo 2^64).</summary>
    public static Tnum operator *(Tnum a, Tnum b)
    {
        // Long multiplication over the bits of a: a known 1 adds b, an unknown bit may add b,
        // which contributes b's possible bits as unknown.
        var accumulated = Constant(a.Value * b.Value);
        var unknown = Constant(0);
        ulong multiplier = a.Value | a.Mask;
        ulong unknownBits = a.Mask;
        var shifted = b;
        while (multiplier != 0)
        {
            if ((unknownBits & 1) != 0)
                unknown += new Tnum(0, shifted.Value | shifted.Mask);
            else if ((multiplier & 1) != 0)
                unknown += new Tnum(0, shifted.Mask);
            multiplier >>= 1;
            unknownBits >>= 1;
            shifted = shifted << 1;
        }

        return accumulated + unknown;
    }

    /// <summary>Shifted left by a known count (masked to 63).</summary>
    public static Tnum operator <<(Tnum a, int count) => new(a.Value << count, a.Mask << count);

    /// <summary>Shifted right, logically, by a known count (masked to 63).</summary>
    public static Tnum operator >>>(Tnum a, int count) => new(a.Value >>> count, a.Mask >>> count);

    /// <summary>Shifted right arithmetically at <paramref name="bits"/> bits (32 or 64) by a known count.</summary>
    public Tnum ShiftRightArithmetic(int count, int bits)
    {
        if (bits == 32)
            return new Tnum((uint)((int)(uint)Value >> count), (uint)((int)(uint)Mask >> count));
        return new Tnum((ulong)((long)Value >> count), (ulong)((long)Mask >> count));
    }

    /// <summary>The bits known in both (the values both contain, and more).</summary>
    public Tnum Intersect(Tnum other)
    {
        ulong value = Value | other.Value;
        ulong mask = Mask & other.Mask;
        return new Tnum(value & ~mask, mask);
    }

    /// <summary>The smallest tnum that contains both (the join of two paths).</summary>
    public Tnum Union(Tnum other)
    {
        ulong mask = Mask | other.Mask | (Value ^ other.Value);
        return new Tnum(Value & ~mask, mask);
    }

    /// <summary>The low <paramref name="bytes"/> bytes, zero-extended (a 32-bit result, a narrow load).</summary>
    public Tnum Truncate(int bytes)
    {
        if (bytes >= 8)
            return this;
        ulong keep = (1UL << (bytes * 8)) - 1;
        return new Tnum(Value & keep, Mask & keep);
    }

    /// <summary>The low 32 bits.</summary>
    public Tnum Low32 => Truncate(4);

    /// <summary>The high 32 bits known zero, the low 32 as <paramref name="low"/>.</summary>
    public Tnum WithLow32(Tnum low) => new((Value & 0xFFFF_FFFF_0000_0000) | (uint)low.Value, (Mask & 0xFFFF_FFFF_0000_0000) | (uint)low.Mask);

    /// <summary>Sign-extended from its low <paramref name="bits"/> bits (8, 16 or 32) to 64.</summary>
    public Tnum SignExtend(int bits)
    {
        int shift = 64 - bits;
        return new Tnum((ulong)((long)(Value << shift) >> shift), (ulong)((long)(Mask << shift) >> shift));
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        if (IsConstant)
            return $"0x{Value:x}";
        return Mask == ulong.MaxValue ? "unknown" : $"(0x{Value:x}; 0x{Mask:x})";
    }
}
