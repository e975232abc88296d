namespace Bpf.Runtime;

/// <summary>
/// A program refers to something the engine cannot provide: a helper number nobody registered, a
/// map or kfunc nothing resolved. Thrown when the program is prepared, before it runs.
/// </summary>
public sealed class UnresolvedReferenceException : BpfException
{
    /// <summary>Creates the exception for the instruction at <paramref name="instructionIndex"/>.</summary>
    public UnresolvedReferenceException(int instructionIndex, string reason)
        : base($"instruction {instructionIndex}: {reason}")
    {
        InstructionIndex = instructionIndex;
        Reason = reason;
    }

    /// <summary>The slot of the instruction with the reference.</summary>
    public int InstructionIndex { get; }

    /// <summary>What cannot be resolved, without the location prefix.</summary>
    public string Reason { get; }
}
