namespace Bpf.Runtime.Aot;

/// <summary>
/// A precompiled program cannot be bound to the program it is given: the code, the program type,
/// the maps or the helpers are not the ones it was compiled for, or its manifest is damaged.
/// </summary>
public sealed class AotBindingException : BpfException
{
    /// <summary>Creates the exception for program <paramref name="program"/>.</summary>
    public AotBindingException(string program, string reason)
        : base($"precompiled program {program}: {reason}")
    {
        Program = program;
        Reason = reason;
    }

    /// <summary>The program's name.</summary>
    public string Program { get; }

    /// <summary>What does not match.</summary>
    public string Reason { get; }
}
