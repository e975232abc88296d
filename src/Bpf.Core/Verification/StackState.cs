using System.Numerics;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// Told of every read and every whole-slot write while the verifier executes an instruction, so
    /// that it learns which slots the rest of a path depends on (Linux's liveness marks). A frame is
    /// shared by many paths, so the reads cannot be kept in it; the verifier matches the instance
    /// against the frames of the state it is executing. Null outside an instruction.
    /// </summary>
    [ThreadStatic]
    internal static IStackObserver? Observer;

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
    public StackByte ByteAt(int offset)
    {
        Observer?.Read(this, offset, 1);
        return _bytes[FrameSize + offset];
    }

    /// <summary>The register spilled in the 8-byte slot at <paramref name="offset"/> (8-aligned), when its bytes are a spill.</summary>
    public RegisterState? SpillAt(int offset)
    {
        Observer?.Read(this, offset, 8);
        if (offset % 8 != 0)
            return null;
        for (int i = 0; i < 8; i++)
        {
            if (_bytes[FrameSize + offset + i] != StackByte.Spill)
                return null;
        }

        return _spills[(FrameSize + offset) / 8];
    }

    /// <summary>The slot (0 the deepest, 63 the one just below the frame pointer) holding byte <paramref name="offset"/>.</summary>
    internal static int SlotOf(int offset) => (FrameSize + offset) / 8;

    /// <summary>The slots that hold any of the <paramref name="size"/> bytes at <paramref name="offset"/>.</summary>
    internal static ulong SlotsTouched(int offset, int size)
    {
        int first = Math.Clamp(SlotOf(offset), 0, Slots - 1);
        int end = Math.Clamp(SlotOf(offset + Math.Max(size, 1) - 1), 0, Slots - 1);
        ulong below = end == Slots - 1 ? ulong.MaxValue : (1UL << (end + 1)) - 1;
        return below & ~((1UL << first) - 1);
    }

    /// <summary>The slots whose eight bytes all lie in the range (a write to them leaves nothing of what was there).</summary>
    internal static ulong WholeSlots(int offset, int size)
    {
        ulong slots = 0;
        for (int start = (offset + FrameSize + 7) / 8 * 8; start + 8 <= offset + FrameSize + size; start += 8)
            slots |= 1UL << (start / 8);
        return slots;
    }

    /// <summary>The frame after an 8-byte aligned store of <paramref name="register"/> (a spill).</summary>
    public StackState Spill(int offset, RegisterState register)
    {
        Observer?.Written(this, offset, 8);
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
        Observer?.Written(this, offset, size);
        var bytes = (StackByte[])_bytes.Clone();
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

        // The spilled registers are kept as they are: a slot's register counts only while all its bytes are Spill.
        return new StackState(bytes, _spills);
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
        Observer?.Read(this, offset, size);
        for (int i = offset; i < offset + size; i++)
        {
            if (_bytes[FrameSize + i] == StackByte.Invalid)
                return false;
        }

        return true;
    }

    /// <summary>True when every byte of the range is known to be zero.</summary>
    public bool IsZero(int offset, int size)
    {
        Observer?.Read(this, offset, size);
        for (int i = offset; i < offset + size; i++)
        {
            if (_bytes[FrameSize + i] != StackByte.Zero)
                return false;
        }

        return true;
    }

    /// <summary>True when every state of <paramref name="other"/> is one this (explored) frame allows.</summary>
    public bool Covers(StackState other) => Covers(other, ulong.MaxValue, ulong.MaxValue, new IdMap());

    /// <summary>
    /// True when every state of <paramref name="other"/> is one this (explored) frame allows, in the
    /// slots of <paramref name="liveSlots"/> (bit n: slot n, the bytes <c>fp-512+8n</c> to <c>fp-505+8n</c>);
    /// the others the rest of the explored paths never read. Scalars spilled in slots outside
    /// <paramref name="preciseSlots"/> cover every spilled scalar. Ids of spilled registers go through
    /// <paramref name="ids"/>, as the registers' do.
    /// </summary>
    internal bool Covers(StackState other, ulong liveSlots, ulong preciseSlots, IdMap ids)
    {
        if (ReferenceEquals(this, other))
            return true;
        var mine = MemoryMarshal.Cast<StackByte, ulong>(_bytes.AsSpan());
        var theirs = MemoryMarshal.Cast<StackByte, ulong>(other._bytes.AsSpan());
        for (ulong slots = liveSlots; slots != 0; slots &= slots - 1)
        {
            int slot = BitOperations.TrailingZeroCount(slots);
            ulong old = mine[slot];
            if (old == 0)
                continue; // never written on the explored path: it read nothing there
            if (old == theirs[slot] && old != SpilledSlot)
                continue; // the same plain bytes (a partly spilled slot reads as data: its register no longer counts)
            if (!SlotCovers(other, slot, (preciseSlots & (1UL << slot)) != 0, ids))
                return false;
        }

        return true;
    }

    /// <summary>Eight <see cref="StackByte.Spill"/> bytes read as one number.</summary>
    private const ulong SpilledSlot = 0x0303_0303_0303_0303;

    private bool SlotCovers(StackState other, int slot, bool precise, IdMap ids)
    {
        bool mineSpilled = IsSpilled(slot);
        bool theirsSpilled = other.IsSpilled(slot);
        if (mineSpilled)
            return theirsSpilled && _spills[slot].Covers(other._spills[slot], ids, precise);
        for (int i = slot * 8; i < slot * 8 + 8; i++)
        {
            var theirs = other._bytes[i];
            bool ok = _bytes[i] switch
            {
                StackByte.Invalid => true,
                StackByte.Misc => theirs is StackByte.Misc or StackByte.Zero || (theirs == StackByte.Spill && other._spills[slot].IsScalar),
                StackByte.Zero => theirs == StackByte.Zero || (theirs == StackByte.Spill && theirsSpilled && other._spills[slot] is { IsConstant: true } s && s.Value.ConstantValue == 0),
                _ => false, // a byte of a partly overwritten spill: reads as data, the current path must have data there too
            };
            if (!ok)
                return false;
        }

        return true;
    }

    private bool IsSpilled(int slot) => MemoryMarshal.Cast<StackByte, ulong>(_bytes.AsSpan())[slot] == SpilledSlot;
}
