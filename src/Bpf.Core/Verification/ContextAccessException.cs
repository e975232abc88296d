namespace Bpf.Verification;

/// <summary>
/// A program accesses its context in a way the runtime cannot translate: through a modified
/// context pointer, through a register that holds the context on some paths only, outside the
/// context, or by writing a field its program type makes read-only. Linux rejects the same programs.
/// </summary>
public sealed class ContextAccessException : BpfException
{
    /// <summary>Creates the exception for the instruction at <paramref name="instructionIndex"/>.</summary>
    public ContextAccessException(int instructionIndex, string reason)
        : base($"instruction {instructionIndex}: {reason}")
    {
        InstructionIndex = instructionIndex;
        Reason = reason;
    }

    /// <summary>The slot of the offending instruction.</summary>
    public int InstructionIndex { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Reason { get; }
}
