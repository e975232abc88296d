namespace Bpf.Verification;

/// <summary>What the verifier learns of stack use while it executes an instruction (see <see cref="StackState.Observer"/>).</summary>
internal interface IStackObserver
{
    /// <summary><paramref name="size"/> bytes at <paramref name="offset"/> of <paramref name="stack"/> were consulted.</summary>
    void Read(StackState stack, int offset, int size);

    /// <summary><paramref name="size"/> bytes at <paramref name="offset"/> of <paramref name="stack"/> are being replaced.</summary>
    void Written(StackState stack, int offset, int size);

    /// <summary>A register is being spilled at <paramref name="offset"/> of <paramref name="stack"/> (an 8-aligned slot, any width).</summary>
    void Spilled(StackState stack, int offset);
}
