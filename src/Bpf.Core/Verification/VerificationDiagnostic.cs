using Bpf.Elf.Btf;

namespace Bpf.Verification;

/// <summary>
/// Why a program was rejected: a stable code, the instruction (index and text), the C source line
/// when the object has line info, what is wrong, and the states of the registers involved.
/// </summary>
/// <param name="Code">The stable code (<c>BPF0nnn</c>).</param>
/// <param name="Instruction">The instruction index.</param>
/// <param name="InstructionText">The instruction in assembly.</param>
/// <param name="Message">What is wrong, in terms of the program.</param>
/// <param name="Source">The source line, or null without line info.</param>
/// <param name="Registers">The registers involved and what the verifier knew of them.</param>
public sealed record VerificationDiagnostic(
    DiagnosticCode Code,
    int Instruction,
    string InstructionText,
    string Message,
    BtfLineInfo? Source = null,
    IReadOnlyList<string>? Registers = null)
{
    /// <summary>The code as printed: <c>BPF0021</c>.</summary>
    public string CodeText => $"BPF{(int)Code:D4}";

    /// <inheritdoc/>
    public override string ToString()
    {
        string where = Source is { } line ? $"{line.Location}: " : "";
        string registers = Registers is { Count: > 0 } ? $" [{string.Join("; ", Registers)}]" : "";
        return $"{CodeText}: insn {Instruction} ({InstructionText}): {where}{Message}{registers}";
    }
}
