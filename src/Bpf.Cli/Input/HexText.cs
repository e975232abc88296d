using System.Globalization;
using System.Text;

namespace Bpf.Cli.Input;

/// <summary>
/// Hex byte text as the conformance suite and the tool write it: two hex digits per byte,
/// separated by any whitespace or not at all (<c>"b7 00"</c>, <c>"b7  00  "</c>, <c>"b700"</c>).
/// Lines starting with <c>#</c> are comments.
/// </summary>
internal static class HexText
{
    /// <summary>Parses hex bytes.</summary>
    /// <param name="text">The text.</param>
    /// <param name="what">What the text is, for error messages (<c>the memory file m.hex</c>).</param>
    /// <exception cref="InputException">A token is not a whole number of hex byte pairs.</exception>
    public static byte[] Parse(string text, string what)
    {
        var bytes = new List<byte>();
        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            foreach (string token in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Length % 2 != 0 || !token.All(char.IsAsciiHexDigit))
                {
                    throw new InputException(
                        $"{what}, line {lineNumber}: '{Shorten(token)}' is not hex bytes (two hex digits per byte, e.g. '0a ff')");
                }

                for (int i = 0; i < token.Length; i += 2)
                    bytes.Add(byte.Parse(token.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            }
        }

        return bytes.ToArray();
    }

    /// <summary>Formats bytes as hex pairs separated by spaces, <paramref name="perLine"/> bytes a line.</summary>
    public static string Format(ReadOnlySpan<byte> bytes, int perLine = 8)
    {
        var text = new StringBuilder(bytes.Length * 3);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0)
                text.Append(i % perLine == 0 ? '\n' : ' ');
            text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static string Shorten(string token) => token.Length <= 24 ? token : token[..24] + "...";
}
