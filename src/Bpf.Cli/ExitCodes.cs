namespace Bpf.Cli;

/// <summary>The tool's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The input was bad, the program was rejected or stopped, or a conformance case failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>An unexpected exception: a bug in the tool.</summary>
    public const int InternalError = 3;
}
