using System.Text;

namespace Bpf.Aot;

/// <summary>Turns BPF names (programs, maps, variables, sections) into C# identifiers.</summary>
internal static class AotNames
{
    /// <summary>
    /// <paramref name="name"/> with every character that cannot be in an identifier replaced by
    /// <c>_</c>, and a leading <c>_</c> when it would start with a digit.
    /// </summary>
    public static string Identifier(string name)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (char c in name)
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
            text.Insert(0, '_');
        return text.ToString();
    }
}
