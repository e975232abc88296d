using Bpf.Isa;

namespace Bpf.Cli.Conformance;

/// <summary>
/// A test of the BPF conformance suite: a program (as assembly, as raw instructions, or both),
/// its input memory, and what must happen (a result, or a rejection). See docs/conformance.md.
/// </summary>
internal sealed class DataFile
{
    public required string Path { get; init; }

    /// <summary>The <c>-- asm</c> section, or null.</summary>
    public DataSection? Asm { get; init; }

    /// <summary>The instructions of the <c>-- raw</c> section, or null when there is none.</summary>
    public IReadOnlyList<Instruction>? Raw { get; init; }

    /// <summary>The line of the <c>-- raw</c> header, or 0.</summary>
    public int RawLine { get; init; }

    /// <summary>The input memory (empty when the file has no <c>-- mem</c>).</summary>
    public byte[] Memory { get; init; } = [];

    /// <summary>The expected r0, or null when the file has no <c>-- result</c>.</summary>
    public ulong? Result { get; init; }

    /// <summary>
    /// The reference runtime's rejection message when the file has an <c>-- error</c> section
    /// (possibly empty), or null when it has none.
    /// </summary>
    public string? Error { get; init; }

    /// <summary>Sections the format does not define, kept for diagnostics and otherwise ignored.</summary>
    public IReadOnlyList<DataSection> UnknownSections { get; init; } = [];

    /// <summary>True if the file has a non-empty program (asm text other than blanks, or raw instructions).</summary>
    public bool HasProgram => Asm is not null && !string.IsNullOrWhiteSpace(Asm.Text) || Raw is { Count: > 0 };

    /// <summary>True if the file states what must happen.</summary>
    public bool HasExpectation => Result is not null || Error is not null;
}
