using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bpf.Isa;

/// <summary>
/// One 8-byte BPF instruction slot, laid out exactly like the kernel's <c>struct bpf_insn</c>:
/// opcode, destination and source register nibbles, a signed 16-bit offset and a signed 32-bit
/// immediate. A 64-bit immediate load (<c>lddw</c>) occupies two consecutive slots.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = Size)]
public readonly record struct Instruction
{
    /// <summary>The size of one instruction slot in bytes.</summary>
    public const int Size = 8;

    private readonly byte _opcode;
    private readonly byte _registers;
    private readonly short _offset;
    private readonly int _immediate;

    /// <summary>Creates an instruction from its fields.</summary>
    /// <param name="opcode">The opcode byte.</param>
    /// <param name="dst">The destination register field (0-15; validation rejects values above 10).</param>
    /// <param name="src">The source register field (0-15).</param>
    /// <param name="offset">The signed 16-bit offset field.</param>
    /// <param name="immediate">The signed 32-bit immediate field.</param>
    public Instruction(byte opcode, int dst = 0, int src = 0, short offset = 0, int immediate = 0)
    {
        if ((uint)dst > 15)
            throw new ArgumentOutOfRangeException(nameof(dst), dst, "a register field holds 0-15");
        if ((uint)src > 15)
            throw new ArgumentOutOfRangeException(nameof(src), src, "a register field holds 0-15");
        _opcode = opcode;
        _registers = (byte)(dst | (src << 4));
        _offset = offset;
        _immediate = immediate;
    }

    /// <summary>The opcode byte.</summary>
    public byte Opcode => _opcode;

    /// <summary>The destination register field (low nibble of the second byte).</summary>
    public int Dst => _registers & 0xF;

    /// <summary>The source register field (high nibble of the second byte).</summary>
    public int Src => _registers >> 4;

    /// <summary>The signed 16-bit offset field.</summary>
    public short Offset => _offset;

    /// <summary>The signed 32-bit immediate field.</summary>
    public int Immediate => _immediate;

    /// <summary>The same instruction with another immediate (for loaders patching relocations).</summary>
    public Instruction WithImmediate(int immediate) => new(_opcode, Dst, Src, _offset, immediate);

    /// <summary>The same instruction with another offset.</summary>
    public Instruction WithOffset(short offset) => new(_opcode, Dst, Src, offset, _immediate);

    /// <summary>The instruction class: the low three bits of the opcode.</summary>
    public OpcodeClass Class => (OpcodeClass)(_opcode & 0x07);

    /// <summary>Reads one instruction from 8 little-endian bytes.</summary>
    public static Instruction Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
            throw new ArgumentException($"an instruction needs {Size} bytes, got {bytes.Length}", nameof(bytes));
        return new Instruction(
            bytes[0],
            bytes[1] & 0xF,
            bytes[1] >> 4,
            BinaryPrimitives.ReadInt16LittleEndian(bytes[2..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]));
    }

    /// <summary>Writes the instruction as 8 little-endian bytes.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException($"an instruction needs {Size} bytes, got {destination.Length}", nameof(destination));
        destination[0] = _opcode;
        destination[1] = _registers;
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], _offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], _immediate);
    }

    /// <summary>The instruction as one 64-bit word, as the conformance suite's <c>-- raw</c> section writes it.</summary>
    public ulong ToRawWord()
    {
        Span<byte> bytes = stackalloc byte[Size];
        Write(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    /// <summary>Reads an instruction from a 64-bit word as the conformance suite's <c>-- raw</c> section writes it.</summary>
    public static Instruction FromRawWord(ulong word)
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, word);
        return Read(bytes);
    }

    /// <summary>The 8 bytes as hex, e.g. <c>07 00 01 00 01 00 00 00</c>.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        Write(bytes);
        var text = new System.Text.StringBuilder(Size * 3);
        for (int i = 0; i < Size; i++)
        {
            if (i > 0)
                text.Append(' ');
            text.Append(bytes[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Reads a whole little-endian bytecode buffer into instruction slots.</summary>
    /// <exception cref="InvalidBytecodeException">The length is not a multiple of 8.</exception>
    public static Instruction[] ReadAll(ReadOnlySpan<byte> bytecode)
    {
        if (bytecode.Length % Size != 0)
            throw new InvalidBytecodeException(-1,
                $"bytecode length {bytecode.Length} is not a multiple of {Size} bytes (instruction {bytecode.Length / Size} is truncated)");
        var result = new Instruction[bytecode.Length / Size];
        for (int i = 0; i < result.Length; i++)
            result[i] = Read(bytecode.Slice(i * Size, Size));
        return result;
    }

    /// <summary>Writes instruction slots as little-endian bytecode.</summary>
    public static byte[] WriteAll(ReadOnlySpan<Instruction> instructions)
    {
        var bytes = new byte[instructions.Length * Size];
        for (int i = 0; i < instructions.Length; i++)
            instructions[i].Write(bytes.AsSpan(i * Size, Size));
        return bytes;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{{op=0x{_opcode:x2} dst={Dst} src={Src} off={_offset} imm={_immediate}}}";
}
