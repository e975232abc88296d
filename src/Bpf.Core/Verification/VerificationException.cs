namespace Bpf.Verification;

/// <summary>A program failed verification; <see cref="Diagnostics"/> says why.</summary>
public sealed class VerificationException : BpfException
{
    /// <summary>Creates the exception for <paramref name="program"/>'s diagnostics.</summary>
    public VerificationException(string program, IReadOnlyList<VerificationDiagnostic> diagnostics)
        : base($"program {program} is not safe to run: {string.Join(Environment.NewLine, diagnostics)}")
    {
        Program = program;
        Diagnostics = diagnostics;
    }

    /// <summary>The program's name.</summary>
    public string Program { get; }

    /// <summary>The reasons, the first one found first.</summary>
    public IReadOnlyList<VerificationDiagnostic> Diagnostics { get; }
}
