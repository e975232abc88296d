namespace Bpf.Isa;

/// <summary>
/// Bytecode that is not a valid BPF program: an unknown opcode, a reserved field that is not
/// zero, a bad register, a jump out of range, a function that falls off its end, and so on.
/// </summary>
public sealed class InvalidBytecodeException : BpfException
{
    /// <summary>Creates the exception for the instruction at <paramref name="instructionIndex"/>.</summary>
    /// <param name="instructionIndex">The index of the offending instruction slot, or -1 when the
    /// problem is not one instruction's (an empty program, say).</param>
    /// <param name="reason">What is wrong, in words a person can act on.</param>
    public InvalidBytecodeException(int instructionIndex, string reason)
        : base(instructionIndex >= 0 ? $"instruction {instructionIndex}: {reason}" : reason)
    {
        InstructionIndex = instructionIndex;
        Reason = reason;
    }

    /// <summary>The index of the offending instruction slot, or -1.</summary>
    public int InstructionIndex { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Reason { get; }
}
