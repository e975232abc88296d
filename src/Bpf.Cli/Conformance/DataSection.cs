namespace Bpf.Cli.Conformance;

/// <summary>One <c>-- NAME</c> section of a data file.</summary>
/// <param name="Name">The name after <c>--</c>, as written.</param>
/// <param name="Line">The 1-based line of the <c>--</c> header.</param>
/// <param name="Lines">The lines after the header up to the next section, comment lines blanked
/// (except in sections kept verbatim) so that line numbers inside the section still count from the header.</param>
internal sealed record DataSection(string Name, int Line, IReadOnlyList<string> Lines)
{
    /// <summary>The section's text, lines joined with <c>\n</c>.</summary>
    public string Text => string.Join('\n', Lines);

    /// <summary>The 1-based file line of line <paramref name="index"/> (0-based) of the section's body.</summary>
    public int FileLine(int index) => Line + 1 + index;
}
