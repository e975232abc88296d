namespace Bpf;

/// <summary>
/// The base of every exception the runtime throws on purpose: bad input, a program that is
/// rejected, or a program that stopped with an error while running.
/// </summary>
public abstract class BpfException : Exception
{
    /// <summary>Creates the exception with a message that says what went wrong and where.</summary>
    protected BpfException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    protected BpfException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
