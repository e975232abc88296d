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
/// branches share unchanged frames. Only the slots from the deepest one written up to the frame
/// pointer are stored (as Linux keeps only the stack a function allocated), so that a write copies
/// what the function uses rather than the whole frame.
/// </summary>
public sealed class StackState
{
    /// <summary>The size of a frame.</summary>
    public const int FrameSize = 512;

    private const int Slots = FrameSize / 8;

    /// <summary>The bytes of the slots from <see cref="_low"/> up to the frame pointer; the bytes below are <see cref="StackByte.Invalid"/>.</summary>
    private readonly StackByte[] _bytes;

    /// <summary>Per stored slot, the register last spilled there (it counts only while all the slot's bytes are <see cref="StackByte.Spill"/>).</summary>
    private readonly RegisterState?[] _spills;

    /// <summary>The deepest slot stored (0 the deepest of the frame, <see cref="Slots"/> when nothing is).</summary>
    private readonly int _low;

    /// <summary>
    /// Told of every read and every whole-slot write while the verifier executes an instruction, so
    /// that it learns which slots the rest of a path depends on (Linux's liveness marks). A frame is
    /// shared by many paths, so the reads cannot be kept in it; the verifier matches the instance
    /// against the frames of the state it is executing. Null outside an instruction.
    /// </summary>
    [ThreadStatic]
    internal static IStackObserver? Observer;

    private StackState(StackByte[] bytes, RegisterState?[] spills)
    {
        _bytes = bytes;
        _spills = spills;
        _low = Slots - spills.Length;
    }

    /// <summary>A frame nothing was written to.</summary>
    public static StackState Empty { get; } = new([], []);

    /// <summary>The deepest byte written, as a positive depth (0 when nothing was written).</summary>
    public int Depth
    {
        get
        {
            for (int i = 0; i < _bytes.Length; i++)
            {
                if (_bytes[i] != StackByte.Invalid)
                    return _bytes.Length - i;
            }

            return 0;
        }
    }

    /// <summary>What byte <paramref name="offset"/> (negative, from the frame pointer) holds.</summary>
    public StackByte ByteAt(int offset)
    {
        Observer?.Read(this, offset, 1);
        return Byte(FrameSize + offset);
    }

    /// <summary>The register spilled in the 8-byte slot at <paramref name="offset"/> (8-aligned), when its bytes are a spill.</summary>
    public RegisterState? SpillAt(int offset)
    {
        Observer?.Read(this, offset, 8);
        if (offset % 8 != 0)
            return null;
        int slot = SlotOf(offset);
        return IsSpilled(slot) ? _spills[slot - _low] : null;
    }

    /// <summary>
    /// The scalar a narrow store of <paramref name="size"/> bytes (1, 2 or 4) left at the start of the
    /// slot at <paramref name="offset"/> (8-aligned), as those bytes read it back, or null when they
    /// hold anything else.
    /// </summary>
    public RegisterState? NarrowSpillAt(int offset, int size)
    {
        Observer?.Read(this, offset, size);
        if (offset % 8 != 0 || size >= 8)
            return null;
        int slot = SlotOf(offset);
        return NarrowSpillSize(slot) == size ? _spills[slot - _low] : null;
    }

    /// <summary>The size of the narrow spill at the start of <paramref name="slot"/>: the number of <see cref="StackByte.Spill"/> bytes there when they are fewer than eight, else 0.</summary>
    private int NarrowSpillSize(int slot)
    {
        ulong bytes = SlotBytes(slot);
        int size = 0;
        while (size < 8 && (byte)(bytes >> (size * 8)) == (byte)StackByte.Spill)
            size++;
        return size < 8 ? size : 0;
    }

    /// <summary>Byte <paramref name="index"/> of the frame (0 the deepest).</summary>
    private StackByte Byte(int index)
    {
        int stored = index - _low * 8;
        return stored >= 0 ? _bytes[stored] : StackByte.Invalid;
    }

    /// <summary>The slot <paramref name="slot"/>'s eight bytes read as one number (0: never written).</summary>
    private ulong SlotBytes(int slot) =>
        slot >= _low ? MemoryMarshal.Cast<StackByte, ulong>(_bytes.AsSpan())[slot - _low] : 0;

    /// <summary>The spilled register stored for slot <paramref name="slot"/>, whether or not it still counts.</summary>
    private RegisterState? SpillOf(int slot) => slot >= _low ? _spills[slot - _low] : null;

    /// <summary>
    /// Copies of the stored bytes and spills, deep enough to hold byte <paramref name="index"/>, and
    /// the slot the copies start at.
    /// </summary>
    private (StackByte[] Bytes, RegisterState?[] Spills, int Low) CopyDownTo(int index)
    {
        int low = Math.Min(_low, Math.Max(index, 0) / 8);
        int count = Slots - low;
        var bytes = new StackByte[count * 8];
        var spills = new RegisterState?[count];
        _bytes.CopyTo(bytes, (_low - low) * 8);
        _spills.CopyTo(spills, _low - low);
        return (bytes, spills, low);
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
    public StackState Spill(int offset, RegisterState register) => Spill(offset, register, 8);

    /// <summary>
    /// The frame after an 8-byte aligned store of the low <paramref name="size"/> bytes of
    /// <paramref name="register"/>: a spill of the register (8 bytes), or a narrow spill of a scalar
    /// (1, 2 or 4 bytes at the start of the slot; Linux keeps those for root), which a load of the
    /// same size reads back exactly. The slot's other bytes keep what they held, except parts of an
    /// earlier spill, which become data.
    /// </summary>
    public StackState Spill(int offset, RegisterState register, int size)
    {
        Observer?.Written(this, offset, size);
        Observer?.Spilled(this, offset);
        var (bytes, spills, low) = CopyDownTo(FrameSize + offset);
        int slot = SlotOf(offset);
        var slotBytes = bytes.AsSpan((slot - low) * 8, 8);
        for (int i = size; i < 8; i++)
        {
            if (slotBytes[i] == StackByte.Spill)
                slotBytes[i] = StackByte.Misc;
        }

        slotBytes[..size].Fill(StackByte.Spill);
        spills[slot - low] = size == 8 ? register : register with { Value = register.Value.Truncate(size), Id = 0 };
        return new StackState(bytes, spills);
    }

    /// <summary>The frame after storing <paramref name="size"/> bytes of data (zero when <paramref name="zero"/>) at <paramref name="offset"/>.</summary>
    public StackState Write(int offset, int size, bool zero)
    {
        Observer?.Written(this, offset, size);
        var (bytes, spills, low) = CopyDownTo(FrameSize + offset);
        int first = FrameSize + offset - low * 8;
        for (int i = first; i < first + size; i++)
        {
            if (bytes[i] == StackByte.Spill)
            {
                // Overwriting part of a spilled register turns the rest of it into plain data.
                int slot = i / 8;
                for (int j = slot * 8; j < slot * 8 + 8; j++)
                {
                    if (bytes[j] == StackByte.Spill)
                        bytes[j] = StackByte.Misc;
                }
            }

            bytes[i] = zero ? StackByte.Zero : StackByte.Misc;
        }

        // The spilled registers are kept as they are: a slot's register counts only while all its bytes are Spill.
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
        var (bytes, spills, low) = CopyDownTo(FrameSize + from);
        for (int i = from; i < to; i++)
        {
            int index = FrameSize + i - low * 8;
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
            if (Byte(FrameSize + i) == StackByte.Invalid)
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
            if (Byte(FrameSize + i) != StackByte.Zero)
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

        // Slots below the deepest one stored were never written on the explored path: they read nothing there.
        liveSlots &= _low >= Slots ? 0 : ulong.MaxValue << _low;
        for (ulong slots = liveSlots; slots != 0; slots &= slots - 1)
        {
            int slot = BitOperations.TrailingZeroCount(slots);
            ulong old = SlotBytes(slot);
            if (old == 0)
                continue; // never written on the explored path: it read nothing there
            if (old == other.SlotBytes(slot) && old != SpilledSlot && NarrowSpillSize(slot) == 0)
                continue; // the same plain bytes (a partly overwritten spill reads as data: its register no longer counts)
            if (!SlotCovers(other, slot, (preciseSlots & (1UL << slot)) != 0, ids))
                return false;
        }

        return true;
    }

    /// <summary>Eight <see cref="StackByte.Spill"/> bytes read as one number.</summary>
    private const ulong SpilledSlot = 0x0303_0303_0303_0303;

    private bool SlotCovers(StackState other, int slot, bool precise, IdMap ids)
    {
        bool theirsSpilled = other.IsSpilled(slot);
        if (IsSpilled(slot))
            return theirsSpilled && SpillOf(slot)!.Covers(other.SpillOf(slot)!, ids, precise);
        var theirSpill = other.SpillOf(slot);
        int narrow = NarrowSpillSize(slot);
        if (narrow > 0 && (other.NarrowSpillSize(slot) != narrow || !SpillOf(slot)!.Covers(theirSpill!, ids, precise)))
            return false;
        for (int i = slot * 8 + narrow; i < slot * 8 + 8; i++)
        {
            var theirs = other.Byte(i);
            bool ok = Byte(i) switch
            {
                StackByte.Invalid => true,
                StackByte.Misc => theirs is StackByte.Misc or StackByte.Zero || (theirs == StackByte.Spill && theirSpill!.IsScalar),
                StackByte.Zero => theirs == StackByte.Zero || (theirs == StackByte.Spill && theirsSpilled && theirSpill is { IsConstant: true } s && s.Value.ConstantValue == 0),
                _ => false, // a byte of a partly overwritten spill: reads as data, the current path must have data there too
            };
            if (!ok)
                return false;
        }

        return true;
    }

    private bool IsSpilled(int slot) => SlotBytes(slot) == SpilledSlot;
}
