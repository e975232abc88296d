namespace Bpf.Verification;

/// <summary>What the verifier learns of stack use while it executes an instruction (see <see cref="StackState.Observer"/>).</summary>
internal interface IStackObserver
{
    /// <summary><paramref name="size"/> bytes at <paramref name="offset"/> of <paramref name="stack"/> were consulted.</summary>
    void Read(StackState stack, int offset, int size);

    /// <summary>Every byte of the slots in <paramref name="slots"/> of <paramref name="stack"/> is being replaced.</summary>
    void Overwritten(StackState stack, ulong slots);
}
