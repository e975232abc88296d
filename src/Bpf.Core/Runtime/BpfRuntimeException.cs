namespace Bpf.Runtime;

/// <summary>
/// A program was stopped while running: it touched memory it may not, ran out of instruction
/// budget, or called something that does not exist. The message names the instruction.
/// </summary>
public sealed class BpfRuntimeException : BpfException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Why the program stopped.</param>
    /// <param name="instructionIndex">The slot of the instruction that stopped it.</param>
    /// <param name="detail">What happened, without the location prefix.</param>
    public BpfRuntimeException(TrapKind kind, int instructionIndex, string detail)
        : base($"instruction {instructionIndex}: {detail}")
    {
        Kind = kind;
        InstructionIndex = instructionIndex;
        Detail = detail;
    }

    /// <summary>Why the program stopped.</summary>
    public TrapKind Kind { get; }

    /// <summary>The slot of the instruction that stopped it.</summary>
    public int InstructionIndex { get; }

    /// <summary>What happened, without the location prefix.</summary>
    public string Detail { get; }
}
