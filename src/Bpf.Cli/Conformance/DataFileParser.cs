using System.Globalization;
using Bpf.Isa;

namespace Bpf.Cli.Conformance;

/// <summary>
/// Reads the conformance suite's <c>.data</c> format: sections that start with a line
/// <c>-- NAME</c>, and <c>#</c> comment lines. The format is described in docs/conformance.md.
/// </summary>
internal static class DataFileParser
{
    private const string AsmSection = "asm";
    private const string RawSection = "raw";
    private const string MemSection = "mem";
    private const string ResultSection = "result";
    private const string ErrorSection = "error";

    // Informational sections: their text is kept verbatim (C source has # lines) and not used.
    private static readonly string[] s_informational = ["c", "no register offset"];

    /// <summary>Reads and parses a data file.</summary>
    /// <exception cref="DataFileException">The file is malformed.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DataFile Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text of a data file.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="path">The file's name, for error messages.</param>
    /// <exception cref="DataFileException">The file is malformed.</exception>
    public static DataFile Parse(string text, string path)
    {
        var sections = Split(text, path);

        DataSection? asm = null;
        IReadOnlyList<Instruction>? raw = null;
        int rawLine = 0;
        byte[] memory = [];
        ulong? result = null;
        string? error = null;
        var unknown = new List<DataSection>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);

        foreach (var section in sections)
        {
            string name = section.Name;
            bool known = name is AsmSection or RawSection or MemSection or ResultSection or ErrorSection || s_informational.Contains(name);
            if (!known)
            {
                unknown.Add(section);
                continue;
            }

            if (seen.TryGetValue(name, out int firstLine))
                throw new DataFileException(path, section.Line, $"a second '-- {name}' section (the first is on line {firstLine})");
            seen[name] = section.Line;

            switch (name)
            {
                case AsmSection:
                    asm = section;
                    break;
                case RawSection:
                    raw = ParseRaw(section, path);
                    rawLine = section.Line;
                    break;
                case MemSection:
                    memory = ParseMemory(section, path);
                    break;
                case ResultSection:
                    result = ParseResult(section, path);
                    break;
                case ErrorSection:
                    error = section.Text.Trim();
                    break;
            }
        }

        if (result is not null && error is not null)
        {
            throw new DataFileException(path, Math.Max(seen[ResultSection], seen[ErrorSection]),
                "the file has both '-- result' and '-- error': a program cannot both return and be rejected");
        }

        return new DataFile
        {
            Path = path,
            Asm = asm,
            Raw = raw,
            RawLine = rawLine,
            Memory = memory,
            Result = result,
            Error = error,
            UnknownSections = unknown,
        };
    }

    private static List<DataSection> Split(string text, string path)
    {
        var sections = new List<DataSection>();
        string? name = null;
        int headerLine = 0;
        var body = new List<string>();
        bool verbatim = false;

        void Close()
        {
            if (name is not null)
                sections.Add(new DataSection(name, headerLine, TrimTrailingBlanks(body)));
        }

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            int lineNumber = i + 1;
            if (line.StartsWith("--", StringComparison.Ordinal))
            {
                Close();
                name = line[2..].Trim();
                if (name.Length == 0)
                    throw new DataFileException(path, lineNumber, "a '--' line without a section name");
                headerLine = lineNumber;
                body = [];
                verbatim = !(name is AsmSection or RawSection or MemSection or ResultSection or ErrorSection);
                continue;
            }

            bool comment = line.TrimStart().StartsWith('#');
            if (name is null)
            {
                if (line.Trim().Length > 0 && !comment)
                    throw new DataFileException(path, lineNumber, $"'{Shorten(line)}' comes before the first '-- section' line");
                continue;
            }

            // Blank comment lines rather than drop them, so a line of a section's body keeps its place.
            body.Add(comment && !verbatim ? "" : line);
        }

        Close();
        return sections;
    }

    private static List<string> TrimTrailingBlanks(List<string> lines)
    {
        int count = lines.Count;
        while (count > 0 && lines[count - 1].Trim().Length == 0)
            count--;
        return lines.GetRange(0, count);
    }

    private static List<Instruction> ParseRaw(DataSection section, string path)
    {
        var instructions = new List<Instruction>();
        Span<byte> bytes = stackalloc byte[Instruction.Size];
        for (int i = 0; i < section.Lines.Count; i++)
        {
            string[] tokens = Tokens(section.Lines[i]);
            if (tokens.Length == 0)
                continue;

            // Several tokens of two hex digits are one instruction's bytes (07 00 01 00 01 00 00 00),
            // and must be eight; anything else is a list of 64-bit words (0x0000000100000007 or decimal).
            if (tokens.Length > 1 && tokens.All(IsHexByte))
            {
                if (tokens.Length != Instruction.Size)
                {
                    throw new DataFileException(path, section.FileLine(i),
                        $"a '-- raw' line of hex bytes holds one instruction, 8 bytes, not {tokens.Length}");
                }

                for (int b = 0; b < Instruction.Size; b++)
                    bytes[b] = byte.Parse(tokens[b], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                instructions.Add(Instruction.Read(bytes));
                continue;
            }

            foreach (string token in tokens)
            {
                if (!TryParseNumber(token, out ulong word))
                {
                    throw new DataFileException(path, section.FileLine(i),
                        $"'{Shorten(token)}' in '-- raw' is neither a 64-bit instruction word (0x... or decimal) nor part of a line of 8 hex bytes");
                }

                instructions.Add(Instruction.FromRawWord(word));
            }
        }

        return instructions;
    }

    private static byte[] ParseMemory(DataSection section, string path)
    {
        var memory = new List<byte>();
        for (int i = 0; i < section.Lines.Count; i++)
        {
            foreach (string token in Tokens(section.Lines[i]))
            {
                if (!IsHexByte(token))
                    throw new DataFileException(path, section.FileLine(i), $"'{Shorten(token)}' in '-- mem' is not a byte (two hex digits)");
                memory.Add(byte.Parse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            }
        }

        return memory.ToArray();
    }

    private static ulong ParseResult(DataSection section, string path)
    {
        ulong? result = null;
        for (int i = 0; i < section.Lines.Count; i++)
        {
            foreach (string token in Tokens(section.Lines[i]))
            {
                if (result is not null)
                    throw new DataFileException(path, section.FileLine(i), $"'-- result' holds more than one value ('{Shorten(token)}')");
                if (!TryParseNumber(token, out ulong value))
                    throw new DataFileException(path, section.FileLine(i), $"'{Shorten(token)}' in '-- result' is not a number (0x... or decimal)");
                result = value;
            }
        }

        return result ?? throw new DataFileException(path, section.Line, "'-- result' is empty");
    }

    /// <summary>Parses <c>0x</c> hex or decimal, and negative decimal as its 64-bit two's complement.</summary>
    internal static bool TryParseNumber(string token, out ulong value)
    {
        value = 0;
        if (token.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return token.Length > 2 && ulong.TryParse(token.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (token.StartsWith('-'))
        {
            bool ok = long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long signed);
            value = (ulong)signed;
            return ok;
        }

        return ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsHexByte(string token) => token.Length == 2 && char.IsAsciiHexDigit(token[0]) && char.IsAsciiHexDigit(token[1]);

    private static string[] Tokens(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
