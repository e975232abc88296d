namespace Bpf.Elf;

/// <summary>
/// An object file cannot be loaded: it is truncated, malformed or hostile, or it lacks something
/// the loader needs. The message says what is wrong and where (the section and the file offset
/// when known).
/// </summary>
public sealed class BpfLoadException : BpfException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong, in words a person can act on.</param>
    /// <param name="section">The section the problem is in, if it is in one.</param>
    /// <param name="offset">The file offset of the problem, if known.</param>
    public BpfLoadException(string reason, string? section = null, long? offset = null)
        : base(Format(reason, section, offset))
    {
        Reason = reason;
        Section = section;
        Offset = offset;
    }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The section the problem is in, or null.</summary>
    public string? Section { get; }

    /// <summary>The file offset of the problem, or null.</summary>
    public long? Offset { get; }

    private static string Format(string reason, string? section, long? offset)
    {
        string where = (section, offset) switch
        {
            (not null, not null) => $"section {section}, offset 0x{offset:x}: ",
            (not null, null) => $"section {section}: ",
            (null, not null) => $"offset 0x{offset:x}: ",
            _ => "",
        };
        return $"ELF: {where}{reason}";
    }
}
