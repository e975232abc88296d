using System.Collections.Frozen;

namespace Bpf.Isa;

/// <summary>
/// The one table of every valid BPF encoding (RFC 9669 with the ISA v4 additions, the
/// atomics including load-acquire and store-release, and the legacy packet loads). Validation,
/// the assembler, the disassembler, the interpreter, the JIT and the verifier all read it;
/// nothing else in the code base knows opcode numbers.
/// </summary>
public static class OpcodeTable
{
    private const InstructionFields Dst = InstructionFields.Dst;
    private const InstructionFields Src = InstructionFields.Src;
    private const InstructionFields Off = InstructionFields.Offset;
    private const InstructionFields Imm = InstructionFields.Immediate;
    private const InstructionFields None = InstructionFields.None;

    // Field values from RFC 9669 (and the kernel's uapi/linux/bpf.h for the later additions).
    private const byte SourceImmediate = 0x00;
    private const byte SourceRegister = 0x08;
    private const byte ModeImm = 0x00, ModeAbs = 0x20, ModeInd = 0x40, ModeMem = 0x60, ModeMemSx = 0x80, ModeAtomic = 0xc0;
    private const byte SizeW = 0x00, SizeH = 0x08, SizeB = 0x10, SizeDW = 0x18;

    /// <summary>The atomic operation code (immediate) for add; or, and and xor follow RFC 9669.</summary>
    internal const int AtomicFetchFlag = 0x01;
    private const int AtomicAddCode = 0x00, AtomicOrCode = 0x40, AtomicAndCode = 0x50, AtomicXorCode = 0xa0;
    private const int AtomicXchgCode = 0xe0 | AtomicFetchFlag, AtomicCmpXchgCode = 0xf0 | AtomicFetchFlag;
    private const int LoadAcquireCode = 0x100, StoreReleaseCode = 0x110;

    private static readonly (byte Size, int Bytes, string Name)[] Sizes =
        [(SizeB, 1, "b"), (SizeH, 2, "h"), (SizeW, 4, "w"), (SizeDW, 8, "dw")];

    private static readonly OpcodeInfo[][] s_byOpcode;
    private static readonly FrozenDictionary<string, OpcodeInfo[]> s_byMnemonic;

    static OpcodeTable()
    {
        var rows = new List<OpcodeInfo>();
        AddArithmetic(rows);
        AddJumps(rows);
        AddMemory(rows);
        AddAtomics(rows);
        AddLoads(rows);
        All = rows;

        var byOpcode = new List<OpcodeInfo>[256];
        foreach (var row in rows)
            (byOpcode[row.Opcode] ??= []).Add(row);
        s_byOpcode = byOpcode.Select(list => list?.ToArray() ?? []).ToArray();

        s_byMnemonic = rows
            .SelectMany(row => row.Aliases.Prepend(row.Mnemonic).Select(name => (name, row)))
            .GroupBy(pair => pair.name, StringComparer.Ordinal)
            .ToFrozenDictionary(group => group.Key, group => group.Select(pair => pair.row).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Every row of the table.</summary>
    public static IReadOnlyList<OpcodeInfo> All { get; }

    /// <summary>The rows with the given opcode byte (several when a field discriminates between them).</summary>
    public static ReadOnlySpan<OpcodeInfo> WithOpcode(byte opcode) => s_byOpcode[opcode];

    /// <summary>The rows with the given assembly mnemonic or alias (one per operand layout).</summary>
    public static ReadOnlySpan<OpcodeInfo> WithMnemonic(string mnemonic) =>
        s_byMnemonic.TryGetValue(mnemonic, out var rows) ? rows : [];

    /// <summary>True if some row has this mnemonic or alias.</summary>
    public static bool IsMnemonic(string mnemonic) => s_byMnemonic.ContainsKey(mnemonic);

    /// <summary>
    /// Finds the row for an instruction and checks its reserved fields and registers.
    /// </summary>
    /// <param name="instruction">The instruction (the first slot of an <c>lddw</c>).</param>
    /// <param name="info">The row, when the instruction is valid on its own.</param>
    /// <param name="error">Why the instruction is invalid, when it is.</param>
    /// <returns>True if the instruction is a valid encoding.</returns>
    public static bool TryDescribe(in Instruction instruction, out OpcodeInfo? info, out string? error)
    {
        info = null;
        var rows = s_byOpcode[instruction.Opcode];
        if (rows.Length == 0)
        {
            error = $"unknown opcode 0x{instruction.Opcode:x2}";
            return false;
        }

        OpcodeInfo? match = null;
        foreach (var row in rows)
        {
            if (row.Discriminator == None || FieldValue(instruction, row.Discriminator) == row.DiscriminatorValue)
            {
                match = row;
                break;
            }
        }

        if (match is null)
        {
            var field = rows[0].Discriminator;
            var choices = string.Join(", ", rows.Select(r => $"{r.DiscriminatorValue} ({r.Mnemonic})"));
            error = $"opcode 0x{instruction.Opcode:x2} with {FieldName(field)} {FieldValue(instruction, field)} is not a valid instruction; {FieldName(field)} must be one of {choices}";
            return false;
        }

        foreach (var field in (ReadOnlySpan<InstructionFields>)[Dst, Src, Off, Imm])
        {
            if ((match.Reserved & field) != 0 && FieldValue(instruction, field) != 0)
            {
                error = $"{match.Mnemonic} (opcode 0x{match.Opcode:x2}) does not use its {FieldName(field)} field, which must be zero but is {FieldValue(instruction, field)}";
                return false;
            }
        }

        var operands = match.Operands;
        if ((operands & Dst) != 0 && instruction.Dst > Registers.FramePointer)
        {
            error = $"{match.Mnemonic}: invalid destination register r{instruction.Dst} (registers are r0-r10)";
            return false;
        }

        if ((operands & Src) != 0 && instruction.Src > Registers.FramePointer)
        {
            error = $"{match.Mnemonic}: invalid source register r{instruction.Src} (registers are r0-r10)";
            return false;
        }

        if (match.WritesDst && instruction.Dst == Registers.FramePointer)
        {
            error = $"{match.Mnemonic} writes r10, the read-only frame pointer";
            return false;
        }

        if (match.WritesSrc && instruction.Src == Registers.FramePointer)
        {
            error = $"{match.Mnemonic} writes the old value to r10, the read-only frame pointer";
            return false;
        }

        if (match.AllowedImmediates.Count > 0 && !match.AllowedImmediates.Contains(instruction.Immediate))
        {
            error = $"{match.Mnemonic}: immediate 0x{instruction.Immediate:x8} is not one of {string.Join(", ", match.AllowedImmediates.Select(v => $"0x{v:x8}"))}";
            return false;
        }

        info = match;
        error = null;
        return true;
    }

    /// <summary>The value of one field of an instruction.</summary>
    public static int FieldValue(in Instruction instruction, InstructionFields field) => field switch
    {
        Dst => instruction.Dst,
        Src => instruction.Src,
        Off => instruction.Offset,
        Imm => instruction.Immediate,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "expected exactly one field"),
    };

    /// <summary>The name of a field as messages print it.</summary>
    public static string FieldName(InstructionFields field) => field switch
    {
        Dst => "destination register",
        Src => "source register",
        Off => "offset",
        Imm => "immediate",
        _ => field.ToString(),
    };

    private static void AddArithmetic(List<OpcodeInfo> rows)
    {
        (Operation Op, byte Code, string Name)[] binary =
        [
            (Operation.Add, 0x00, "add"), (Operation.Sub, 0x10, "sub"), (Operation.Mul, 0x20, "mul"),
            (Operation.Or, 0x40, "or"), (Operation.And, 0x50, "and"), (Operation.Lsh, 0x60, "lsh"),
            (Operation.Rsh, 0x70, "rsh"), (Operation.Xor, 0xa0, "xor"), (Operation.Arsh, 0xc0, "arsh"),
        ];

        foreach (bool is64 in (ReadOnlySpan<bool>)[false, true])
        {
            byte cls = (byte)(is64 ? OpcodeClass.Alu64 : OpcodeClass.Alu);
            string suffix = is64 ? "" : "32";

            foreach (var (op, code, name) in binary)
            {
                rows.Add(new((byte)(cls | code | SourceImmediate), op, name + suffix, OperandLayout.DstImm, Src | Off) { Is64 = is64 });
                rows.Add(new((byte)(cls | code | SourceRegister), op, name + suffix, OperandLayout.DstSrc, Off | Imm) { Is64 = is64, UsesSourceRegister = true });
            }

            // Division and modulo: the offset field selects unsigned (0) or signed (1, ISA v4).
            foreach (var (unsigned, signed, code, uname, sname) in (ReadOnlySpan<(Operation, Operation, byte, string, string)>)
                     [(Operation.Div, Operation.SDiv, 0x30, "div", "sdiv"), (Operation.Mod, Operation.SMod, 0x90, "mod", "smod")])
            {
                rows.Add(new((byte)(cls | code | SourceImmediate), unsigned, uname + suffix, OperandLayout.DstImm, Src, Off, 0) { Is64 = is64 });
                rows.Add(new((byte)(cls | code | SourceImmediate), signed, sname + suffix, OperandLayout.DstImm, Src, Off, 1) { Is64 = is64 });
                rows.Add(new((byte)(cls | code | SourceRegister), unsigned, uname + suffix, OperandLayout.DstSrc, Imm, Off, 0) { Is64 = is64, UsesSourceRegister = true });
                rows.Add(new((byte)(cls | code | SourceRegister), signed, sname + suffix, OperandLayout.DstSrc, Imm, Off, 1) { Is64 = is64, UsesSourceRegister = true });
            }

            rows.Add(new((byte)(cls | 0x80), Operation.Neg, "neg" + suffix, OperandLayout.Dst, Src | Off | Imm) { Is64 = is64 });

            // Move: with a register source the offset selects a plain move (0) or a sign-extending one (ISA v4).
            rows.Add(new((byte)(cls | 0xb0 | SourceImmediate), Operation.Mov, "mov" + suffix, OperandLayout.DstImm, Src | Off) { Is64 = is64 });
            rows.Add(new((byte)(cls | 0xb0 | SourceRegister), Operation.Mov, "mov" + suffix, OperandLayout.DstSrc, Imm, Off, 0) { Is64 = is64, UsesSourceRegister = true });
            if (is64)
            {
                rows.Add(new((byte)(cls | 0xb0 | SourceRegister), Operation.AddressSpaceCast, "addr_space_cast", OperandLayout.AddressSpaceCast, None, Off, 1)
                    // Linux converts only between address spaces 1 (the arena) and 0 (user pointers).
                    { Is64 = true, UsesSourceRegister = true, AllowedImmediates = [1, 1 << 16] });
            }

            foreach (int bits in is64 ? (int[])[8, 16, 32] : [8, 16])
            {
                rows.Add(new((byte)(cls | 0xb0 | SourceRegister), Operation.MovSx, $"movsx{bits}{(is64 ? 64 : 32)}", OperandLayout.DstSrc, Imm, Off, bits)
                    { Is64 = is64, UsesSourceRegister = true, Bits = bits });
            }
        }

        // Byte order: class ALU converts to little (source bit 0) or big (source bit 1) endian;
        // class ALU64 with source bit 0 swaps unconditionally (ISA v4). The immediate is the width.
        foreach (int bits in (ReadOnlySpan<int>)[16, 32, 64])
        {
            rows.Add(new((byte)((byte)OpcodeClass.Alu | 0xd0 | SourceImmediate), Operation.ToLe, $"le{bits}", OperandLayout.Dst, Src | Off, Imm, bits) { Bits = bits });
            rows.Add(new((byte)((byte)OpcodeClass.Alu | 0xd0 | SourceRegister), Operation.ToBe, $"be{bits}", OperandLayout.Dst, Src | Off, Imm, bits) { Bits = bits });
            rows.Add(new((byte)((byte)OpcodeClass.Alu64 | 0xd0 | SourceImmediate), Operation.Swap, $"bswap{bits}", OperandLayout.Dst, Src | Off, Imm, bits)
                { Bits = bits, Is64 = true, Aliases = [$"swap{bits}"] });
        }
    }

    private static void AddJumps(List<OpcodeInfo> rows)
    {
        (Operation Op, byte Code, string Name)[] conditions =
        [
            (Operation.Jeq, 0x10, "jeq"), (Operation.Jgt, 0x20, "jgt"), (Operation.Jge, 0x30, "jge"),
            (Operation.Jset, 0x40, "jset"), (Operation.Jne, 0x50, "jne"), (Operation.Jsgt, 0x60, "jsgt"),
            (Operation.Jsge, 0x70, "jsge"), (Operation.Jlt, 0xa0, "jlt"), (Operation.Jle, 0xb0, "jle"),
            (Operation.Jslt, 0xc0, "jslt"), (Operation.Jsle, 0xd0, "jsle"),
        ];

        foreach (bool is64 in (ReadOnlySpan<bool>)[false, true])
        {
            byte cls = (byte)(is64 ? OpcodeClass.Jmp : OpcodeClass.Jmp32);
            string suffix = is64 ? "" : "32";
            foreach (var (op, code, name) in conditions)
            {
                rows.Add(new((byte)(cls | code | SourceImmediate), op, name + suffix, OperandLayout.ConditionImm, Src) { Is64 = is64 });
                rows.Add(new((byte)(cls | code | SourceRegister), op, name + suffix, OperandLayout.ConditionReg, Imm) { Is64 = is64, UsesSourceRegister = true });
            }
        }

        const byte jmp = (byte)OpcodeClass.Jmp;
        rows.Add(new(jmp | 0x00, Operation.Ja, "ja", OperandLayout.Jump, Dst | Src | Imm) { Is64 = true });
        rows.Add(new((byte)OpcodeClass.Jmp32 | 0x00, Operation.Ja32, "ja32", OperandLayout.Jump32, Dst | Src | Off) { Aliases = ["gotol"] });

        // Calls: the source field selects a helper (0), a BPF function (1) or a kfunc (2).
        rows.Add(new(jmp | 0x80, Operation.Call, "call", OperandLayout.CallHelper, Dst | Off, Src, 0) { Is64 = true, Aliases = ["call helper"] });
        rows.Add(new(jmp | 0x80, Operation.CallLocal, "call local", OperandLayout.CallLocal, Dst | Off, Src, 1) { Is64 = true });
        rows.Add(new(jmp | 0x80, Operation.CallKfunc, "call kfunc", OperandLayout.CallKfunc, Dst, Src, 2) { Is64 = true, Aliases = ["call runtime"] });
        rows.Add(new(jmp | 0x80 | SourceRegister, Operation.Callx, "call", OperandLayout.CallRegister, Src | Off | Imm) { Is64 = true, Aliases = ["callx"] });
        rows.Add(new(jmp | 0x90, Operation.Exit, "exit", OperandLayout.None, Dst | Src | Off | Imm) { Is64 = true });
    }

    private static void AddMemory(List<OpcodeInfo> rows)
    {
        foreach (var (size, bytes, name) in Sizes)
        {
            rows.Add(new((byte)((byte)OpcodeClass.Ldx | ModeMem | size), Operation.Load, "ldx" + name, OperandLayout.DstMemory, Imm) { AccessSize = bytes });
            rows.Add(new((byte)((byte)OpcodeClass.St | ModeMem | size), Operation.StoreImm, "st" + name, OperandLayout.MemoryImm, Src) { AccessSize = bytes });
            rows.Add(new((byte)((byte)OpcodeClass.Stx | ModeMem | size), Operation.Store, "stx" + name, OperandLayout.MemorySrc, Imm) { AccessSize = bytes });
            if (bytes < 8)
            {
                rows.Add(new((byte)((byte)OpcodeClass.Ldx | ModeMemSx | size), Operation.LoadSx, "ldxs" + name, OperandLayout.DstMemory, Imm)
                    { AccessSize = bytes, Bits = bytes * 8 });
            }
        }
    }

    private static void AddAtomics(List<OpcodeInfo> rows)
    {
        (Operation Op, int Code, string Name)[] readModifyWrite =
        [
            (Operation.AtomicAdd, AtomicAddCode, "add"), (Operation.AtomicOr, AtomicOrCode, "or"),
            (Operation.AtomicAnd, AtomicAndCode, "and"), (Operation.AtomicXor, AtomicXorCode, "xor"),
        ];

        foreach (var (size, bytes, name) in Sizes)
        {
            byte opcode = (byte)((byte)OpcodeClass.Stx | ModeAtomic | size);
            if (bytes >= 4)
            {
                bool is64 = bytes == 8;
                string suffix = is64 ? "" : "32";
                foreach (var (op, code, opName) in readModifyWrite)
                {
                    rows.Add(new(opcode, op, $"lock {opName}{suffix}", OperandLayout.MemorySrc, None, Imm, code) { AccessSize = bytes, Is64 = is64 });
                    rows.Add(new(opcode, op, $"lock fetch {opName}{suffix}", OperandLayout.MemorySrc, None, Imm, code | AtomicFetchFlag)
                        { AccessSize = bytes, Is64 = is64, Fetch = true });
                }

                rows.Add(new(opcode, Operation.AtomicXchg, $"lock xchg{suffix}", OperandLayout.MemorySrc, None, Imm, AtomicXchgCode)
                    { AccessSize = bytes, Is64 = is64, Fetch = true });
                rows.Add(new(opcode, Operation.AtomicCmpXchg, $"lock cmpxchg{suffix}", OperandLayout.MemorySrc, None, Imm, AtomicCmpXchgCode)
                    { AccessSize = bytes, Is64 = is64 });
            }

            rows.Add(new(opcode, Operation.LoadAcquire, "ldacq" + name, OperandLayout.DstMemory, None, Imm, LoadAcquireCode) { AccessSize = bytes, Is64 = bytes == 8 });
            rows.Add(new(opcode, Operation.StoreRelease, "strel" + name, OperandLayout.MemorySrc, None, Imm, StoreReleaseCode) { AccessSize = bytes, Is64 = bytes == 8 });
        }
    }

    private static void AddLoads(List<OpcodeInfo> rows)
    {
        byte lddw = (byte)OpcodeClass.Ld | ModeImm | SizeDW;
        rows.Add(new(lddw, Operation.LoadImm64, "lddw", OperandLayout.Imm64, Off, Src, (int)LoadImm64Source.Immediate) { Is64 = true });
        for (var source = LoadImm64Source.MapFd; source <= LoadImm64Source.MapIndexValue; source++)
        {
            rows.Add(new(lddw, Operation.LoadImm64, "lddw", OperandLayout.Imm64Pseudo, Off, Src, (int)source) { Is64 = true, PseudoSource = source });
        }

        foreach (var (size, bytes, name) in Sizes)
        {
            if (bytes == 8)
                continue;
            rows.Add(new((byte)((byte)OpcodeClass.Ld | ModeAbs | size), Operation.LoadPacketAbsolute, "ldabs" + name, OperandLayout.PacketAbsolute, Dst | Src | Off) { AccessSize = bytes });
            rows.Add(new((byte)((byte)OpcodeClass.Ld | ModeInd | size), Operation.LoadPacketIndirect, "ldind" + name, OperandLayout.PacketIndirect, Dst | Off) { AccessSize = bytes });
        }
    }

}
