using System.Collections.Immutable;

namespace Bpf.Verification;

/// <summary>One function call's state: its registers, its stack frame, and where it returns to.</summary>
/// <param name="Registers">r0-r10.</param>
/// <param name="Stack">The frame's 512 bytes.</param>
/// <param name="ReturnTo">The instruction after the call that entered this function, or -1 for the main function.</param>
/// <param name="Function">The function's index in the program.</param>
/// <param name="IsCallback">True for a callback a helper calls (<c>bpf_loop</c>...): it must return 0 or 1, and the helper's result replaces its r0.</param>
public sealed record FrameState(ImmutableArray<RegisterState> Registers, StackState Stack, int ReturnTo, int Function, bool IsCallback = false)
{
    /// <summary>The register <paramref name="index"/>.</summary>
    public RegisterState this[int index] => Registers[index];

    /// <summary>The frame with register <paramref name="index"/> replaced.</summary>
    public FrameState With(int index, RegisterState register) => this with { Registers = Registers.SetItem(index, register) };

    /// <summary>True when every state of <paramref name="other"/> is one this (explored) frame allows.</summary>
    public bool Covers(FrameState other) => Covers(other, ushort.MaxValue, ushort.MaxValue, ulong.MaxValue, ulong.MaxValue, new IdMap());

    /// <summary>
    /// True when every state of <paramref name="other"/> is one this (explored) frame allows, in the
    /// registers of <paramref name="liveRegisters"/> (bit n: rn) and the stack slots of
    /// <paramref name="liveSlots"/>: what the rest of the explored paths may read. Scalars outside
    /// <paramref name="preciseRegisters"/> and <paramref name="preciseSlots"/> cover any scalar.
    /// </summary>
    internal bool Covers(FrameState other, ushort liveRegisters, ushort preciseRegisters, ulong liveSlots, ulong preciseSlots, IdMap ids)
    {
        if (ReturnTo != other.ReturnTo || Function != other.Function || IsCallback != other.IsCallback)
            return false;
        for (int i = 0; i < Registers.Length; i++)
        {
            if ((liveRegisters & (1 << i)) != 0 && !Registers[i].Covers(other.Registers[i], ids, (preciseRegisters & (1 << i)) != 0))
                return false;
        }

        return Stack.Covers(other.Stack, liveSlots, preciseSlots, ids);
    }
}
