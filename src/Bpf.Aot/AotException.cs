namespace Bpf.Aot;

/// <summary>An assembly cannot be written: no such program, a program the verifier rejects, an output that cannot be written.</summary>
public sealed class AotException : BpfException
{
    /// <summary>Creates the exception.</summary>
    public AotException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public AotException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
