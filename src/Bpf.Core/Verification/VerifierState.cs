using System.Collections.Immutable;

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

    /// <summary>A fresh id and the state that has used it.</summary>
    public (VerifierState State, int Id) TakeId() => (this with { NextId = NextId + 1 }, NextId);

    /// <summary>The size proven for memory sized by the scalar with id <paramref name="id"/>.</summary>
    public long ProvenSize(int id) => ProvenSizes.GetValueOrDefault(id);

    /// <summary>True when every state of <paramref name="other"/> is one this (explored) state allows.</summary>
    public bool Covers(VerifierState other)
    {
        if (Frames.Length != other.Frames.Length || References.Count != other.References.Count || Lock != other.Lock)
            return false;
        foreach (var (id, size) in ProvenSizes)
        {
            if (other.ProvenSize(id) < size)
                return false;
        }

        for (int i = 0; i < Frames.Length; i++)
        {
            if (!Frames[i].Covers(other.Frames[i]))
                return false;
        }

        return true;
    }
}
