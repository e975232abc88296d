namespace Bpf.Cli.Conformance;

/// <summary>Whether a case passed on one engine, and why.</summary>
/// <param name="Passed">True if it passed.</param>
/// <param name="Reason">Why, in a few words.</param>
internal sealed record CaseVerdict(bool Passed, string Reason)
{
    public static CaseVerdict Pass(string reason) => new(true, reason);

    public static CaseVerdict Fail(string reason) => new(false, reason);
}
