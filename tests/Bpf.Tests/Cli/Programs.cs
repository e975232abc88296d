using Bpf.Isa;

namespace Bpf.Tests.Cli;

/// <summary>Small programs as instructions, bytes and hex, built with the ISA types.</summary>
internal static class Programs
{
    public static Instruction MovImm(int dst, int value) => new(0xb7, dst, immediate: value);

    public static Instruction LoadByte(int dst, int src, short offset) => new(0x71, dst, src, offset);

    public static Instruction Add(int dst, int src) => new(0x0f, dst, src);

    public static Instruction JumpBack() => new(0x05, offset: -1);

    public static Instruction Exit() => new(0x95);

    /// <summary>r0 = <paramref name="value"/>; exit.</summary>
    public static Instruction[] Return(int value) => [MovImm(0, value), Exit()];

    /// <summary>r0 = mem[0] + mem[1]; exit.</summary>
    public static Instruction[] SumOfFirstTwoBytes() =>
        [LoadByte(0, 1, 0), LoadByte(2, 1, 1), Add(0, 2), Exit()];

    /// <summary>A loop that never ends.</summary>
    public static Instruction[] Forever() => [MovImm(0, 0), JumpBack(), Exit()];

    public static byte[] Bytes(params Instruction[] program) => Instruction.WriteAll(program);

    /// <summary>Eight hex bytes per line: a data file's '-- raw' section.</summary>
    public static string RawLines(params Instruction[] program) => string.Join('\n', program.Select(i => i.ToHex()));

    /// <summary>The plugin protocol's hex: each byte as two digits and two spaces.</summary>
    public static string PluginHex(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder();
        foreach (byte b in bytes)
            text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append("  ");
        return text.ToString();
    }
}
