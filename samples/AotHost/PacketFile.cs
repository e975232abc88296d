using System.Globalization;

namespace Bpf.Samples.AotHost;

/// <summary>
/// Reads a packet file as <c>bpfjit run --packet</c> does: hex text (two hex digits per byte,
/// separated by whitespace or not, lines starting with <c>#</c> are comments) or, when the file
/// is not hex text, its raw bytes.
/// </summary>
internal static class PacketFile
{
    /// <summary>The packet in the file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static byte[] Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return TryParseHex(System.Text.Encoding.UTF8.GetString(bytes)) ?? bytes;
    }

    private static byte[]? TryParseHex(string text)
    {
        var bytes = new List<byte>();
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            foreach (string token in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Length % 2 != 0 || !token.All(char.IsAsciiHexDigit))
                    return null; // not hex text: the packet's raw bytes
                for (int i = 0; i < token.Length; i += 2)
                    bytes.Add(byte.Parse(token.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            }
        }

        return bytes.ToArray();
    }
}
