using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Bpf.Isa;

/// <summary>
/// Assembles the text syntax of the BPF conformance suite into instructions: one instruction per
/// line, <c>#</c> comments, <c>name:</c> labels, <c>%r0</c>-<c>%r10</c> registers, memory operands
/// like <c>[%r1+4]</c>, and jump targets written <c>+N</c>, <c>-N</c> or as a label. Mnemonics are
/// those of the <see cref="OpcodeTable"/> (<c>add32</c>, <c>ldxw</c>, <c>lock fetch add</c>, ...);
/// see <see cref="Disassembler"/> for the way back.
/// </summary>
public static class Assembler
{
    /// <summary>The text of each operand of a statement, checked against an instruction's layout.</summary>
    private enum Expect
    {
        Register,
        Memory,
        Immediate,
        Wide,
        Target,
        Helper,
        Pseudo,
    }

    /// <summary>One instruction of the source, matched to its table row, before labels are resolved.</summary>
    private sealed record Statement(int Line, string Mnemonic, OpcodeInfo Row, AssemblyOperand[] Operands, int Slot);

    /// <summary>
    /// Assembles text into instruction slots (an <c>lddw</c> takes two) without checking that they
    /// form a valid program: jumps may leave the program, the last instruction need not be <c>exit</c>.
    /// </summary>
    /// <param name="source">The assembly text.</param>
    /// <returns>The instruction slots.</returns>
    /// <exception cref="AssemblyException">The text cannot be assembled; the message names the line.</exception>
    public static Instruction[] AssembleInstructions(string source) => AssembleCore(source, out _);

    /// <summary>
    /// Assembles text into a validated program. Labels that <c>call local</c> (or an <c>lddw</c> of
    /// <c>func(label)</c>) names become the names of the functions that start there.
    /// </summary>
    /// <param name="source">The assembly text.</param>
    /// <returns>The program.</returns>
    /// <exception cref="AssemblyException">The text cannot be assembled; the message names the line.</exception>
    /// <exception cref="InvalidBytecodeException">The instructions do not form a valid program.</exception>
    public static Bytecode Assemble(string source)
    {
        var slots = AssembleCore(source, out var functionNames);
        return Bytecode.Create(slots, functionNames);
    }

    private static Instruction[] AssembleCore(string source, out Dictionary<int, string> functionNames)
    {
        ArgumentNullException.ThrowIfNull(source);
        var statements = new List<Statement>();
        var labels = new Dictionary<string, (int Slot, int Line)>(StringComparer.Ordinal);
        int slot = 0;
        int? firstExit = null;

        string[] lines = source.Split('\n');
        for (int index = 0; index < lines.Length; index++)
        {
            int line = index + 1;
            string text = lines[index];
            int comment = text.IndexOf(AssemblySyntax.CommentStart, StringComparison.Ordinal);
            if (comment >= 0)
                text = text[..comment];
            text = text.Trim();

            while (TryTakeLabel(ref text, line, out string? label))
            {
                if (!labels.TryAdd(label, (slot, line)))
                    throw new AssemblyException(line, $"Label '{label}' is already defined on line {labels[label].Line}");
            }

            if (text.Length == 0)
                continue;
            if (text[0] == '.')
                throw new AssemblyException(line, $"Unknown directive '{text.Split(' ', '\t')[0]}'");

            var (mnemonic, operandText) = SplitMnemonic(text, line);
            var operands = SplitOperands(operandText, line).Select(t => AssemblyOperand.Parse(t, line)).ToArray();
            var row = SelectRow(mnemonic, operands, line);
            statements.Add(new Statement(line, mnemonic, row, operands, slot));
            if (row.Operation == Operation.Exit)
                firstExit ??= slot;
            slot += row.SlotCount;
        }

        var slots = new Instruction[slot];
        functionNames = [];
        foreach (var statement in statements)
            Encode(statement, slots, labels, firstExit, functionNames);
        return slots;
    }

    /// <summary>Takes a leading <c>name:</c> off a line.</summary>
    private static bool TryTakeLabel(ref string text, int line, [NotNullWhen(true)] out string? label)
    {
        label = null;
        if (text.Length == 0 || !AssemblySyntax.IsLabelStart(text[0]))
            return false;
        int end = 1;
        while (end < text.Length && AssemblySyntax.IsLabelPart(text[end]))
            end++;
        int colon = end;
        while (colon < text.Length && char.IsWhiteSpace(text[colon]))
            colon++;
        if (colon >= text.Length || text[colon] != ':')
            return false;

        label = text[..end];
        if (AssemblySyntax.LooksLikeRegister(label))
            throw new AssemblyException(line, $"'{label}' is a register name and cannot be a label");
        text = text[(colon + 1)..].TrimStart();
        return true;
    }

    /// <summary>
    /// Splits the mnemonic, which may be several words (<c>lock fetch add</c>, <c>call local</c>), from
    /// the operands: the longest run of leading words that the table knows wins.
    /// </summary>
    private static (string Mnemonic, string Operands) SplitMnemonic(string text, int line)
    {
        var wordEnds = new List<int>();
        var words = new List<string>();
        int position = 0;
        while (words.Count < 3 && position < text.Length && char.IsAsciiLetter(text[position]))
        {
            int start = position;
            while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '_'))
                position++;
            words.Add(text[start..position].ToLowerInvariant());
            wordEnds.Add(position);
            while (position < text.Length && char.IsWhiteSpace(text[position]))
                position++;
        }

        for (int count = words.Count; count > 0; count--)
        {
            string candidate = string.Join(' ', words.Take(count));
            if (OpcodeTable.IsMnemonic(candidate))
                return (candidate, text[wordEnds[count - 1]..].Trim());
        }

        if (words.Count == 0)
            throw new AssemblyException(line, $"Expected a mnemonic at '{text}'");

        // Words that only start mnemonics ("lock", "lock fetch") need the rest of one.
        var all = AllMnemonics().ToList();
        for (int count = words.Count; count > 0; count--)
        {
            string prefix = string.Join(' ', words.Take(count)) + " ";
            var continuations = all
                .Where(m => m.StartsWith(prefix, StringComparison.Ordinal))
                .Select(m => m[prefix.Length..].Split(' ')[0])
                .Select(w => w.EndsWith("32", StringComparison.Ordinal) ? w[..^2] : w)
                .Distinct()
                .ToList();
            if (continuations.Count == 0)
                continue;

            string known = prefix.TrimEnd();
            string rest = text[wordEnds[count - 1]..].Trim();
            if (rest.Length == 0)
                throw new AssemblyException(line, $"Invalid number of operands for {known}: expected an operation ({string.Join(", ", continuations)}) and its operands");
            throw new AssemblyException(line, $"Unknown mnemonic '{known} {rest.Split(' ', '\t')[0]}': {known} is followed by one of {string.Join(", ", continuations)}");
        }

        throw new AssemblyException(line, $"Unknown mnemonic '{words[0]}'");
    }

    private static IEnumerable<string> AllMnemonics() =>
        OpcodeTable.All.SelectMany(row => row.Aliases.Prepend(row.Mnemonic)).Distinct();

    /// <summary>Splits operands at commas and spaces outside brackets and parentheses.</summary>
    private static List<string> SplitOperands(string text, int line)
    {
        var operands = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        bool operandSinceComma = false;

        void Flush()
        {
            if (current.Length > 0)
            {
                operands.Add(current.ToString());
                current.Clear();
                operandSinceComma = true;
            }
        }

        foreach (char c in text)
        {
            if (c is '[' or '(')
            {
                depth++;
            }
            else if (c is ']' or ')')
            {
                if (--depth < 0)
                    throw new AssemblyException(line, $"Unbalanced '{c}' in '{text}'");
            }
            else if (depth == 0 && (c == ',' || char.IsWhiteSpace(c)))
            {
                Flush();
                if (c == ',')
                {
                    if (!operandSinceComma)
                        throw new AssemblyException(line, $"Missing operand before ',' in '{text}'");
                    operandSinceComma = false;
                }

                continue;
            }

            current.Append(c);
        }

        if (depth != 0)
            throw new AssemblyException(line, $"Unbalanced brackets in '{text}'");
        Flush();
        if (operands.Count > 0 && !operandSinceComma)
            throw new AssemblyException(line, $"Missing operand after ',' in '{text}'");
        return operands;
    }

    /// <summary>What each operand of a layout must be; the last <c>Optional</c> ones may be left out.</summary>
    private static (Expect[] Operands, int Optional) Shape(OperandLayout layout) => layout switch
    {
        OperandLayout.None => ([], 0),
        OperandLayout.DstSrc => ([Expect.Register, Expect.Register], 0),
        OperandLayout.DstImm => ([Expect.Register, Expect.Immediate], 0),
        OperandLayout.Dst => ([Expect.Register], 0),
        OperandLayout.DstMemory => ([Expect.Register, Expect.Memory], 0),
        OperandLayout.MemoryImm => ([Expect.Memory, Expect.Immediate], 0),
        OperandLayout.MemorySrc => ([Expect.Memory, Expect.Register], 0),
        OperandLayout.Jump or OperandLayout.Jump32 or OperandLayout.CallLocal => ([Expect.Target], 0),
        OperandLayout.ConditionImm => ([Expect.Register, Expect.Immediate, Expect.Target], 0),
        OperandLayout.ConditionReg => ([Expect.Register, Expect.Register, Expect.Target], 0),
        OperandLayout.CallHelper => ([Expect.Helper], 0),
        OperandLayout.CallKfunc => ([Expect.Immediate, Expect.Immediate], 1),
        OperandLayout.CallRegister => ([Expect.Register], 0),
        OperandLayout.Imm64 => ([Expect.Register, Expect.Wide], 0),
        OperandLayout.Imm64Pseudo => ([Expect.Register, Expect.Pseudo], 0),
        OperandLayout.PacketAbsolute => ([Expect.Immediate], 0),
        OperandLayout.PacketIndirect => ([Expect.Register, Expect.Immediate], 0),
        OperandLayout.AddressSpaceCast => ([Expect.Register, Expect.Register, Expect.Immediate, Expect.Immediate], 0),
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };

    private static bool Accepts(Expect expect, AssemblyOperand operand, OpcodeInfo row) => expect switch
    {
        Expect.Register => operand.Kind == AssemblyOperand.OperandKind.Register,
        Expect.Memory => operand.Kind == AssemblyOperand.OperandKind.Memory,
        Expect.Immediate or Expect.Wide => operand.Kind == AssemblyOperand.OperandKind.Number,
        Expect.Target or Expect.Helper => operand.Kind is AssemblyOperand.OperandKind.Number or AssemblyOperand.OperandKind.Name,
        Expect.Pseudo => operand.Kind == AssemblyOperand.OperandKind.Pseudo && operand.Source == row.PseudoSource,
        _ => false,
    };

    private static string Describe(Expect expect, OpcodeInfo row) => expect switch
    {
        Expect.Register => "a register like %r1",
        Expect.Memory => "a memory operand like [%r1+4]",
        Expect.Immediate => "a 32-bit number",
        Expect.Wide => "a 64-bit number",
        Expect.Target => "a jump target (+N, -N or a label)",
        Expect.Helper => "a helper number or name",
        Expect.Pseudo => AssemblySyntax.PseudoName(row.PseudoSource) + "(...)",
        _ => expect.ToString(),
    };

    /// <summary>Picks the table row whose operand layout matches the operands written.</summary>
    private static OpcodeInfo SelectRow(string mnemonic, AssemblyOperand[] operands, int line)
    {
        var rows = OpcodeTable.WithMnemonic(mnemonic).ToArray();
        var candidates = rows.Where(row =>
        {
            var (shape, optional) = Shape(row.Layout);
            return operands.Length >= shape.Length - optional && operands.Length <= shape.Length;
        }).ToList();

        if (candidates.Count == 0)
        {
            var counts = rows.Select(row => Shape(row.Layout)).Select(s => s.Optional == 0 ? $"{s.Operands.Length}" : $"{s.Operands.Length - s.Optional} or {s.Operands.Length}").Distinct();
            throw new AssemblyException(line, $"Invalid number of operands for {mnemonic}: expected {string.Join(" or ", counts)}, got {operands.Length}");
        }

        for (int i = 0; i < operands.Length; i++)
        {
            var matching = candidates.Where(row => Accepts(Shape(row.Layout).Operands[i], operands[i], row)).ToList();
            if (matching.Count == 0)
            {
                var expected = candidates.Select(row => Describe(Shape(row.Layout).Operands[i], row)).Distinct();
                throw new AssemblyException(line, $"Operand {i + 1} of {mnemonic} must be {string.Join(" or ", expected)}, not '{operands[i].Text}'");
            }

            candidates = matching;
        }

        return candidates[0];
    }

    private static void Encode(
        Statement statement,
        Instruction[] slots,
        Dictionary<string, (int Slot, int Line)> labels,
        int? firstExit,
        Dictionary<int, string> functionNames)
    {
        var (line, mnemonic, row, operands, slot) = statement;
        int dst = 0, src = 0, offset = 0, immediate = 0, high = 0;

        int Immediate32(NumberLiteral number) =>
            number.TryToImmediate32(out int value)
                ? value
                : throw new AssemblyException(line, $"Immediate {number.Text} is out of range: a 32-bit immediate is -2147483648 to 2147483647, or 0x0 to 0xffffffff in hex");

        int MemoryOffset(AssemblyOperand operand) =>
            operand.Number.TryToSigned(short.MinValue, short.MaxValue, out long value)
                ? (int)value
                : throw new AssemblyException(line, $"Offset {operand.Number.Text} in {operand.Text} is out of range: offsets are -32768 to 32767");

        // A jump target: the distance from the next instruction, which must fit the field.
        int Target(AssemblyOperand operand, bool wide, bool names)
        {
            (long min, long max) = wide ? (int.MinValue, int.MaxValue) : (short.MinValue, short.MaxValue);
            string field = wide ? "32-bit immediate" : "16-bit offset";
            if (operand.Name is not { } name)
            {
                return operand.Number.TryToSigned(min, max, out long relative)
                    ? (int)relative
                    : throw new AssemblyException(line, $"Jump offset {operand.Number.Text} is out of range of the {field} field ({min} to {max})");
            }

            int target;
            if (labels.TryGetValue(name, out var label))
            {
                target = label.Slot;
                if (names)
                    functionNames.TryAdd(target, name);
            }
            else if (name == AssemblySyntax.ExitName && firstExit is { } exit)
            {
                target = exit;
            }
            else
            {
                throw new AssemblyException(line, $"Undefined label '{name}'");
            }

            long distance = target - (slot + 1L);
            return distance >= min && distance <= max
                ? (int)distance
                : throw new AssemblyException(line, $"Label '{name}' is {distance} instructions away, out of range of the {field} field ({min} to {max})");
        }

        int Helper(AssemblyOperand operand)
        {
            if (operand.Name is not { } name)
                return Immediate32(operand.Number);
            int id = LinuxHelpers.IdOf(name);
            return id >= 0
                ? id
                : throw new AssemblyException(line, $"Unknown helper '{name}' (to call a BPF function, write call local {name})");
        }

        switch (row.Layout)
        {
            case OperandLayout.None:
                break;
            case OperandLayout.DstSrc:
                (dst, src) = (operands[0].Register, operands[1].Register);
                break;
            case OperandLayout.AddressSpaceCast:
            {
                int AddressSpace(AssemblyOperand operand) =>
                    operand.Number.TryToSigned(0, ushort.MaxValue, out long value)
                        ? (int)value
                        : throw new AssemblyException(line, $"Address space {operand.Text} is out of range: 0 to 65535");
                (dst, src) = (operands[0].Register, operands[1].Register);
                immediate = (AddressSpace(operands[2]) << 16) | AddressSpace(operands[3]);
                break;
            }
            case OperandLayout.DstImm:
                (dst, immediate) = (operands[0].Register, Immediate32(operands[1].Number));
                break;
            case OperandLayout.Dst:
            case OperandLayout.CallRegister:
                dst = operands[0].Register;
                break;
            case OperandLayout.DstMemory:
                (dst, src, offset) = (operands[0].Register, operands[1].Register, MemoryOffset(operands[1]));
                break;
            case OperandLayout.MemoryImm:
                (dst, offset, immediate) = (operands[0].Register, MemoryOffset(operands[0]), Immediate32(operands[1].Number));
                break;
            case OperandLayout.MemorySrc:
                (dst, offset, src) = (operands[0].Register, MemoryOffset(operands[0]), operands[1].Register);
                break;
            case OperandLayout.Jump:
                offset = Target(operands[0], wide: false, names: false);
                break;
            case OperandLayout.Jump32:
                immediate = Target(operands[0], wide: true, names: false);
                break;
            case OperandLayout.ConditionImm:
                (dst, immediate, offset) = (operands[0].Register, Immediate32(operands[1].Number), Target(operands[2], wide: false, names: false));
                break;
            case OperandLayout.ConditionReg:
                (dst, src, offset) = (operands[0].Register, operands[1].Register, Target(operands[2], wide: false, names: false));
                break;
            case OperandLayout.CallHelper:
                immediate = Helper(operands[0]);
                break;
            case OperandLayout.CallLocal:
                immediate = Target(operands[0], wide: true, names: true);
                break;
            case OperandLayout.CallKfunc:
                immediate = Immediate32(operands[0].Number);
                if (operands.Length > 1)
                    offset = MemoryOffset(operands[1]);
                break;
            case OperandLayout.Imm64:
                dst = operands[0].Register;
                if (!operands[1].Number.TryToImmediate64(out long value))
                    throw new AssemblyException(line, $"Immediate {operands[1].Text} does not fit in 64 bits");
                (immediate, high) = ((int)value, (int)(value >> 32));
                break;
            case OperandLayout.Imm64Pseudo:
                dst = operands[0].Register;
                var pseudo = operands[1];
                immediate = row.PseudoSource == LoadImm64Source.Function ? Target(pseudo, wide: true, names: true) : Immediate32(pseudo.Number);
                if (pseudo.Second is { } second)
                    high = Immediate32(second);
                break;
            case OperandLayout.PacketAbsolute:
                immediate = Immediate32(operands[0].Number);
                break;
            case OperandLayout.PacketIndirect:
                (src, immediate) = (operands[0].Register, Immediate32(operands[1].Number));
                break;
            default:
                throw new AssemblyException(line, $"{mnemonic}: operand layout {row.Layout} is not supported");
        }

        switch (row.Discriminator)
        {
            case InstructionFields.Src:
                src = row.DiscriminatorValue;
                break;
            case InstructionFields.Offset:
                offset = row.DiscriminatorValue;
                break;
            case InstructionFields.Immediate:
                immediate = row.DiscriminatorValue;
                break;
        }

        slots[slot] = new Instruction(row.Opcode, dst, src, (short)offset, immediate);
        if (row.SlotCount == 2)
            slots[slot + 1] = new Instruction(0, immediate: high);
    }
}
