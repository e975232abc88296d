using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Bpf.Verification;

/// <summary>
/// Everything the verifier knows on one path at one instruction: the call frames (the innermost
/// last), the sizes proven for memory whose size is a scalar, and the references the path holds
/// (ring buffer reservations, iterators) that must be released before it exits. Immutable.
/// </summary>
public sealed record VerifierState(
    ImmutableArray<FrameState> Frames,
    ImmutableDictionary<int, long> ProvenSizes,
    ImmutableDictionary<int, int> References,
    int NextId)
{
    /// <summary>The <c>bpf_spin_lock</c> the path holds, or null (at most one, as in Linux).</summary>
    public HeldSpinLock? Lock { get; init; }

    /// <summary>The innermost frame.</summary>
    public FrameState Current => Frames[^1];

    /// <summary>Register <paramref name="index"/> of the innermost frame.</summary>
    public RegisterState this[int index] => Current[index];

    /// <summary>The state with register <paramref name="index"/> of the innermost frame replaced.</summary>
    public VerifierState With(int index, RegisterState register) => WithCurrent(Current.With(index, register));

    /// <summary>The state with the innermost frame replaced.</summary>
    public VerifierState WithCurrent(FrameState frame) => this with { Frames = Frames.SetItem(Frames.Length - 1, frame) };

    /// <summary>The state with frame <paramref name="index"/> replaced.</summary>
    public VerifierState WithFrame(int index, FrameState frame) => this with { Frames = Frames.SetItem(index, frame) };

    /// <summary>
    /// The state with <paramref name="update"/> applied to every register of every frame (what a
    /// check teaches every copy of a value). Frames where it returns each register itself are kept,
    /// and so is the whole state when nothing changed.
    /// </summary>
    internal VerifierState WithEachRegister<TArgument>(TArgument argument, Func<RegisterState, TArgument, RegisterState> update)
    {
        FrameState[]? frames = null;
        for (int f = 0; f < Frames.Length; f++)
        {
            var frame = Frames[f];
            RegisterState[]? registers = null;
            for (int r = 0; r < frame.Registers.Length; r++)
            {
                var before = frame.Registers[r];
                var after = update(before, argument);
                if (!ReferenceEquals(before, after))
                    (registers ??= frame.Registers.ToArray())[r] = after;
            }

            if (registers is not null)
                (frames ??= Frames.ToArray())[f] = frame with { Registers = ImmutableCollectionsMarshal.AsImmutableArray(registers) };
        }

        return frames is null ? this : this with { Frames = ImmutableCollectionsMarshal.AsImmutableArray(frames) };
    }

    /// <summary>A fresh id and the state that has used it.</summary>
    public (VerifierState State, int Id) TakeId() => (this with { NextId = NextId + 1 }, NextId);

    /// <summary>The size proven for memory sized by the scalar with id <paramref name="id"/>.</summary>
    public long ProvenSize(int id) => ProvenSizes.GetValueOrDefault(id);

    /// <summary>True when every state of <paramref name="other"/> is one this (explored) state allows.</summary>
    public bool Covers(VerifierState other)
    {
        Span<ushort> registers = stackalloc ushort[Frames.Length];
        Span<ulong> slots = stackalloc ulong[Frames.Length];
        registers.Fill(ushort.MaxValue);
        slots.Fill(ulong.MaxValue);
        return Covers(other, registers, registers, slots, slots, new IdMap());
    }

    /// <summary>
    /// True when every state of <paramref name="other"/> is one this (explored) state allows, in what
    /// the rest of the explored paths may read: per frame, the registers of <paramref name="liveRegisters"/>
    /// and the stack slots of <paramref name="liveSlots"/>; scalars are compared exactly only in
    /// <paramref name="preciseRegisters"/> and <paramref name="preciseSlots"/>.
    /// </summary>
    internal bool Covers(VerifierState other, ReadOnlySpan<ushort> liveRegisters, ReadOnlySpan<ushort> preciseRegisters,
        ReadOnlySpan<ulong> liveSlots, ReadOnlySpan<ulong> preciseSlots, IdMap ids)
    {
        if (Frames.Length != other.Frames.Length || References.Count != other.References.Count || Lock != other.Lock)
            return false;
        for (int i = 0; i < Frames.Length; i++)
        {
            var mine = Frames[i];
            var theirs = other.Frames[i];
            if (mine.ReturnTo != theirs.ReturnTo || mine.Function != theirs.Function)
                return false;
        }

        if (!ReferenceEquals(ProvenSizes, other.ProvenSizes))
        {
            foreach (var (id, size) in ProvenSizes)
            {
                if (other.ProvenSize(id) < size)
                    return false;
            }
        }

        ids.Clear();
        for (int i = 0; i < Frames.Length; i++)
        {
            if (!Frames[i].Covers(other.Frames[i], liveRegisters[i], preciseRegisters[i], liveSlots[i], preciseSlots[i], ids))
                return false;
        }

        return true;
    }
}
