namespace Bpf.Verification;

/// <summary>What one byte of a stack frame holds.</summary>
public enum StackByte : byte
{
    /// <summary>Never written: reading it is an error.</summary>
    Invalid,
    /// <summary>Written with some scalar data.</summary>
    Misc,
    /// <summary>Written with zero.</summary>
    Zero,
    /// <summary>Part of a register spilled by an 8-byte store (its state is the slot's).</summary>
    Spill,
}

/// <summary>
/// One stack frame's 512 bytes as the verifier knows them: per byte whether it was written and
/// how, and per 8-byte slot the register spilled there. Immutable: writes return a new state, so
/// branches share unchanged frames.
/// </summary>
public sealed class StackState
{
    /// <summary>The size of a frame.</summary>
    public const int FrameSize = 512;

    private const int Slots = FrameSize / 8;
    private readonly StackByte[] _bytes;
    private readonly RegisterState[] _spills;

    private StackState(StackByte[] bytes, RegisterState[] spills)
    {
        _bytes = bytes;
        _spills = spills;
    }

    /// <summary>A frame nothing was written to.</summary>
    public static StackState Empty { get; } = new(new StackByte[FrameSize], new RegisterState[Slots]);

    /// <summary>The deepest byte written, as a positive depth (0 when nothing was written).</summary>
    public int Depth
    {
        get
        {
            for (int i = 0; i < FrameSize; i++)
            {
                if (_bytes[i] != StackByte.Invalid)
                    return FrameSize - i;
            }

            return 0;
        }
    }

    /// <summary>What byte <paramref name="offset"/> (negative, from the frame pointer) holds.</summary>
    public StackByte ByteAt(int offset) => _bytes[FrameSize + offset];

    /// <summary>The register spilled in the 8-byte slot at <paramref name="offset"/> (8-aligned), when its bytes are a spill.</summary>
    public RegisterState? SpillAt(int offset)
    {
        if (offset % 8 != 0 || ByteAt(offset) != StackByte.Spill)
            return null;
        for (int i = 0; i < 8; i++)
        {
            if (ByteAt(offset + i) != StackByte.Spill)
                return null;
        }

        return _spills[(FrameSize + offset) / 8];
    }

    /// <summary>The frame after an 8-byte aligned store of <paramref name="register"/> (a spill).</summary>
    public StackState Spill(int offset, RegisterState register)
    {
        var bytes = (StackByte[])_bytes.Clone();
        var spills = (RegisterState[])_spills.Clone();
        for (int i = 0; i < 8; i++)
            bytes[FrameSize + offset + i] = StackByte.Spill;
        spills[(FrameSize + offset) / 8] = register;
        return new StackState(bytes, spills);
    }

    /// <summary>The frame after storing <paramref name="size"/> bytes of data (zero when <paramref name="zero"/>) at <paramref name="offset"/>.</summary>
    public StackState Write(int offset, int size, bool zero)
    {
        var bytes = (StackByte[])_bytes.Clone();
        var spills = (RegisterState[])_spills.Clone();
        for (int i = offset; i < offset + size; i++)
        {
            int slot = (FrameSize + i) / 8;
            if (bytes[FrameSize + i] == StackByte.Spill)
            {
                // Overwriting part of a spilled register turns the rest of it into plain data.
                for (int j = slot * 8; j < slot * 8 + 8; j++)
                {
                    if (bytes[j] == StackByte.Spill)
                        bytes[j] = StackByte.Misc;
                }
            }

            bytes[FrameSize + i] = zero ? StackByte.Zero : StackByte.Misc;
        }

        return new StackState(bytes, spills);
    }

    /// <summary>
    /// The frame after a store at a variable offset somewhere in
    /// [<paramref name="from"/>, <paramref name="to"/>) (Linux's <c>check_stack_write_var_off</c>): any
    /// byte of the range may have been written, so every one becomes data, and every register spilled
    /// in the range is lost (its slot becomes data), except that zeros stay zeros when zero is stored.
    /// Bytes never written become data too: the caller decides whether that is allowed.
    /// </summary>
    public StackState WriteVariable(int from, int to, bool zero)
    {
        var bytes = (StackByte[])_bytes.Clone();
        var spills = (RegisterState[])_spills.Clone();
        for (int i = from; i < to; i++)
        {
            int index = FrameSize + i;
            int slot = index / 8;
            switch (bytes[index])
            {
                case StackByte.Spill when zero && spills[slot] is { IsConstant: true } spilled && spilled.Value.ConstantValue == 0:
                    break;
                case StackByte.Spill:
                    for (int j = slot * 8; j < slot * 8 + 8; j++)
                        bytes[j] = StackByte.Misc;
                    break;
                case StackByte.Zero when zero:
                    break;
                default:
                    bytes[index] = StackByte.Misc;
                    break;
            }
        }

        return new StackState(bytes, spills);
    }

    /// <summary>True when every byte of the range was written (a read or a helper's input may use it).</summary>
    public bool IsInitialized(int offset, int size)
    {
        for (int i = offset; i < offset + size; i++)
        {
            if (ByteAt(i) == StackByte.Invalid)
                return false;
        }

        return true;
    }

    /// <summary>True when every byte of the range is known to be zero.</summary>
    public bool IsZero(int offset, int size)
    {
        for (int i = offset; i < offset + size; i++)
        {
            if (ByteAt(i) != StackByte.Zero)
                return false;
        }

        return true;
    }

    /// <summary>True when every state of <paramref name="other"/> is one this (explored) frame allows.</summary>
    public bool Covers(StackState other)
    {
        if (ReferenceEquals(this, other))
            return true;
        for (int i = 0; i < FrameSize; i++)
        {
            var mine = _bytes[i];
            var theirs = other._bytes[i];
            bool ok = mine switch
            {
                StackByte.Invalid => true,
                StackByte.Misc => theirs is StackByte.Misc or StackByte.Zero || (theirs == StackByte.Spill && other._spills[i / 8].IsScalar),
                StackByte.Zero => theirs == StackByte.Zero || (theirs == StackByte.Spill && other._spills[i / 8] is { IsConstant: true } s && s.Value.ConstantValue == 0),
                _ => theirs == StackByte.Spill && _spills[i / 8].Covers(other._spills[i / 8]),
            };
            if (!ok)
                return false;
        }

        return true;
    }
}
