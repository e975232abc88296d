namespace Bpf.Cli.Conformance;

/// <summary>How one attempt to run a case ended.</summary>
internal enum OutcomeKind
{
    /// <summary>The program ran to its exit; r0 is known.</summary>
    Ran,
    /// <summary>A stage before running refused the program.</summary>
    Rejected,
    /// <summary>The program was accepted but stopped while running (checked mode, budget).</summary>
    Stopped,
    /// <summary>The tool cannot judge the case: a part it needs is not in this build, or it hit a bug.</summary>
    NotJudged,
}
