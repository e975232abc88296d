namespace Bpf.Cli.Conformance;

/// <summary>A conformance data file is malformed: text outside a section, a repeated section, an unreadable number.</summary>
internal sealed class DataFileException : BpfException
{
    public DataFileException(string path, int line, string reason)
        : base(line > 0 ? $"{path}:{line}: {reason}" : $"{path}: {reason}")
    {
        Path = path;
        Line = line;
        Reason = reason;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The 1-based line of the problem, or 0 when it is the whole file's.</summary>
    public int Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }
}
