using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>Bytes written in tests the way RFC 9669 and the suite's raw sections show them.</summary>
internal static class Hex
{
    /// <summary>Reads <c>"07 00 00 00 01 00 00 00"</c>, any number of bytes, spaces and newlines ignored.</summary>
    public static byte[] Bytes(string text) =>
        Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));

    /// <summary>The slots as hex bytes, one slot per line, for readable failures.</summary>
    public static string Of(IEnumerable<Instruction> slots) => string.Join("\n", slots.Select(s => s.ToHex()));

    /// <summary>Normalizes hand-written hex (one slot per line, or all on one line) to the form of <see cref="Of"/>.</summary>
    public static string Normalize(string text) => Of(Instruction.ReadAll(Bytes(text)));
}
