namespace Bpf.Cli.Input;

/// <summary>An input the tool was given is malformed: bad hex, an unreadable program file, and so on.</summary>
internal sealed class InputException : BpfException
{
    public InputException(string message) : base(message)
    {
    }

    public InputException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
