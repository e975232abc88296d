using System.Globalization;

namespace Bpf.Isa;

/// <summary>
/// One operand of an assembly statement, read but not yet checked against an instruction: a
/// register, a memory operand, a number, a name (a label or a helper), or an <c>lddw</c> pseudo
/// source like <c>map_value(3+16)</c>.
/// </summary>
internal sealed class AssemblyOperand
{
    /// <summary>What an operand looks like.</summary>
    public enum OperandKind
    {
        /// <summary><c>%r1</c> or <c>r1</c>.</summary>
        Register,
        /// <summary><c>[%r1+4]</c>.</summary>
        Memory,
        /// <summary><c>5</c>, <c>-8</c>, <c>+3</c>, <c>0x10</c>.</summary>
        Number,
        /// <summary><c>label</c>, <c>bpf_ktime_get_ns</c>.</summary>
        Name,
        /// <summary><c>map_fd(3)</c>, <c>func(label)</c>.</summary>
        Pseudo,
    }

    private AssemblyOperand(OperandKind kind, string text)
    {
        Kind = kind;
        Text = text;
    }

    /// <summary>What the operand looks like.</summary>
    public OperandKind Kind { get; }

    /// <summary>The operand as written, for messages.</summary>
    public string Text { get; }

    /// <summary>The register of a register or memory operand.</summary>
    public int Register { get; private init; }

    /// <summary>The value of a number, the offset of a memory operand, or the first argument of a pseudo source when it is a number.</summary>
    public NumberLiteral Number { get; private init; }

    /// <summary>The name of a name operand, or the first argument of a pseudo source when it is a label.</summary>
    public string? Name { get; private init; }

    /// <summary>The source of a pseudo operand.</summary>
    public LoadImm64Source Source { get; private init; }

    /// <summary>The second argument of a pseudo source (<c>16</c> in <c>map_value(3+16)</c>), if written.</summary>
    public NumberLiteral? Second { get; private init; }

    /// <summary>Reads one operand.</summary>
    /// <exception cref="AssemblyException">The text is not an operand (a bad register, say).</exception>
    public static AssemblyOperand Parse(string text, int line)
    {
        if (text.StartsWith('['))
            return ParseMemory(text, line);
        if (AssemblySyntax.LooksLikeRegister(text))
            return new AssemblyOperand(OperandKind.Register, text) { Register = ParseRegister(text, line) };
        if (char.IsAsciiDigit(text[0]) || text[0] is '+' or '-')
            return new AssemblyOperand(OperandKind.Number, text) { Number = ParseNumber(text, line) };

        int open = text.IndexOf('(', StringComparison.Ordinal);
        if (open > 0)
            return ParsePseudo(text, open, line);
        if (IsName(text))
            return new AssemblyOperand(OperandKind.Name, text) { Name = text };
        throw new AssemblyException(line, $"Cannot read operand '{text}': expected a register, a memory operand, a number or a label");
    }

    private static AssemblyOperand ParseMemory(string text, int line)
    {
        if (!text.EndsWith(']'))
            throw new AssemblyException(line, $"Memory operand '{text}' lacks its closing ']'");
        string inner = string.Concat(text[1..^1].Where(c => !char.IsWhiteSpace(c)));
        int sign = inner.IndexOfAny(['+', '-']);
        string register = sign < 0 ? inner : inner[..sign];
        if (register.Length == 0 || !AssemblySyntax.LooksLikeRegister(register))
            throw new AssemblyException(line, $"Memory operand '{text}' must start with a register, like [%r1+4]");

        var offset = default(NumberLiteral);
        if (sign >= 0)
        {
            string number = inner[sign..];
            if (!NumberLiteral.TryParse(number, out offset) || !offset.HasSign)
                throw new AssemblyException(line, $"Memory operand '{text}' has a bad offset '{number}': expected +N or -N");
        }

        return new AssemblyOperand(OperandKind.Memory, text) { Register = ParseRegister(register, line), Number = offset };
    }

    private static AssemblyOperand ParsePseudo(string text, int open, int line)
    {
        string name = text[..open];
        if (!text.EndsWith(')'))
            throw new AssemblyException(line, $"Operand '{text}' lacks its closing ')'");
        if (!AssemblySyntax.TryParsePseudoName(name, out var source))
            throw new AssemblyException(line, $"Unknown lddw source '{name}': expected one of {string.Join(", ", AssemblySyntax.PseudoNames.Select(n => n + "(...)"))}");
        string inner = string.Concat(text[(open + 1)..^1].Where(c => !char.IsWhiteSpace(c)));
        if (inner.Length == 0)
            throw new AssemblyException(line, $"Operand '{text}' needs an argument");

        // The second argument follows the first after a sign: "3+16", "-1-8". A target (func) has none.
        int split = source == LoadImm64Source.Function ? -1 : inner.IndexOfAny(['+', '-'], 1);
        string first = split < 0 ? inner : inner[..split];
        NumberLiteral? second = null;
        if (split >= 0)
        {
            if (!AssemblySyntax.HasSecondImmediate(source))
                throw new AssemblyException(line, $"{name}(...) takes one argument, but '{text}' has two");
            second = ParseNumber(inner[split..], line);
        }

        if (source == LoadImm64Source.Function && AssemblySyntax.IsLabelName(first))
            return new AssemblyOperand(OperandKind.Pseudo, text) { Source = source, Name = first };
        return new AssemblyOperand(OperandKind.Pseudo, text) { Source = source, Number = ParseNumber(first, line), Second = second };
    }

    private static int ParseRegister(string text, int line)
    {
        var digits = text.AsSpan(text.StartsWith('%') ? 1 : 0);
        if (digits.Length >= 2 && digits[0] is 'r' or 'R'
            && int.TryParse(digits[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int register)
            && register <= Registers.FramePointer)
        {
            return register;
        }

        throw new AssemblyException(line, $"Invalid register {text}: the registers are %r0 to %r10");
    }

    private static NumberLiteral ParseNumber(string text, int line) =>
        NumberLiteral.TryParse(text, out var number)
            ? number
            : throw new AssemblyException(line, $"'{text}' is not a number");

    private static bool IsName(string text) =>
        text.Length > 0 && AssemblySyntax.IsLabelStart(text[0]) && text.All(AssemblySyntax.IsLabelPart);
}
