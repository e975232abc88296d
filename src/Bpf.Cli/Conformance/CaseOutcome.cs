namespace Bpf.Cli.Conformance;

/// <summary>What happened when a case was run on one engine, before it is judged.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="Stage">The stage that ended it.</param>
/// <param name="R0">The result, when <paramref name="Kind"/> is <see cref="OutcomeKind.Ran"/>.</param>
/// <param name="Message">Our message for a rejection, a stop, or why the case was not judged.</param>
internal sealed record CaseOutcome(OutcomeKind Kind, CaseStage Stage, ulong R0 = 0, string Message = "")
{
    public static CaseOutcome Ran(ulong r0) => new(OutcomeKind.Ran, CaseStage.Run, r0);

    public static CaseOutcome Rejected(CaseStage stage, string message) => new(OutcomeKind.Rejected, stage, Message: message);

    public static CaseOutcome Stopped(string message) => new(OutcomeKind.Stopped, CaseStage.Run, Message: message);

    public static CaseOutcome NotJudged(CaseStage stage, string message) => new(OutcomeKind.NotJudged, stage, Message: message);

    /// <summary>The stage in words: "rejected by the decoder".</summary>
    public string Describe() => Kind switch
    {
        OutcomeKind.Ran => $"r0 = 0x{R0:x}",
        OutcomeKind.Rejected => $"rejected by {StageName(Stage)}: {Message}",
        OutcomeKind.Stopped => $"stopped at run time: {Message}",
        _ => $"not judged: {Message}",
    };

    public static string StageName(CaseStage stage) => stage switch
    {
        CaseStage.DataFile => "the data-file reader",
        CaseStage.Assembler => "the assembler",
        CaseStage.Decoder => "the decoder",
        CaseStage.Preparation => "the engine",
        _ => "the run",
    };
}
