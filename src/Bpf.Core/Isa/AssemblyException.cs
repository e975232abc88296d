namespace Bpf.Isa;

/// <summary>
/// Assembly text that cannot be assembled: an unknown mnemonic, the wrong operands, a value out
/// of range, an undefined or duplicate label. The message starts with <c>line N:</c>.
/// </summary>
public sealed class AssemblyException : BpfException
{
    /// <summary>Creates the exception for a problem on line <paramref name="line"/>.</summary>
    /// <param name="line">The 1-based line of the source text.</param>
    /// <param name="reason">What is wrong, in words a person can act on.</param>
    public AssemblyException(int line, string reason)
        : base($"line {line}: {reason}")
    {
        Line = line;
        Reason = reason;
    }

    /// <summary>The 1-based line of the source text the problem is on.</summary>
    public int Line { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Reason { get; }
}
