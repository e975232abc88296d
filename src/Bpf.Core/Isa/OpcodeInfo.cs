namespace Bpf.Isa;

/// <summary>
/// One row of the <see cref="OpcodeTable"/>: an encoding (opcode byte, plus the value of a
/// discriminating field where one opcode has several meanings) and everything every stage
/// needs to know about it.
/// </summary>
public sealed class OpcodeInfo
{
    internal OpcodeInfo(
        byte opcode,
        Operation operation,
        string mnemonic,
        OperandLayout layout,
        InstructionFields reserved,
        InstructionFields discriminator = InstructionFields.None,
        int discriminatorValue = 0)
    {
        Opcode = opcode;
        Operation = operation;
        Mnemonic = mnemonic;
        Layout = layout;
        Reserved = reserved;
        Discriminator = discriminator;
        DiscriminatorValue = discriminatorValue;
    }

    /// <summary>The opcode byte.</summary>
    public byte Opcode { get; }

    /// <summary>What the instruction does.</summary>
    public Operation Operation { get; }

    /// <summary>The mnemonic in the conformance suite's assembly syntax (e.g. <c>add32</c>, <c>lock fetch add</c>).</summary>
    public string Mnemonic { get; }

    /// <summary>Other mnemonics the assembler accepts for this encoding (e.g. <c>swap16</c> for <c>bswap16</c>).</summary>
    public IReadOnlyList<string> Aliases { get; internal init; } = [];

    /// <summary>How the operands are written, and so which fields carry them.</summary>
    public OperandLayout Layout { get; }

    /// <summary>Fields that must be zero; RFC 9669 calls an instruction with a non-zero reserved field invalid.</summary>
    public InstructionFields Reserved { get; }

    /// <summary>The field that tells this encoding apart from others with the same opcode byte, if any.</summary>
    public InstructionFields Discriminator { get; }

    /// <summary>The value <see cref="Discriminator"/> must have for this row.</summary>
    public int DiscriminatorValue { get; }

    /// <summary>The instruction class (low three bits of the opcode).</summary>
    public OpcodeClass Class => (OpcodeClass)(Opcode & 0x07);

    /// <summary>
    /// True for 64-bit operations: ALU64 arithmetic, JMP-class comparisons (whole registers),
    /// and double-word atomics. False for ALU, JMP32 and narrower atomics.
    /// </summary>
    public bool Is64 { get; internal init; }

    /// <summary>True when the second operand is the source register (<c>BPF_X</c>), false when it is the immediate.</summary>
    public bool UsesSourceRegister { get; internal init; }

    /// <summary>The number of bytes a load, store, atomic or packet load accesses (1, 2, 4 or 8); 0 otherwise.</summary>
    public int AccessSize { get; internal init; }

    /// <summary>
    /// The width in bits an operation works at beyond its class: the source width of <see cref="Operation.MovSx"/>
    /// (8, 16, 32) and of <see cref="Operation.LoadSx"/>, and the swap width of <see cref="Operation.ToLe"/>,
    /// <see cref="Operation.ToBe"/> and <see cref="Operation.Swap"/> (16, 32, 64). 0 otherwise.
    /// </summary>
    public int Bits { get; internal init; }

    /// <summary>True for atomic read-modify-write operations that write the old value back to the source register.</summary>
    public bool Fetch { get; internal init; }

    /// <summary>
    /// The only immediates the instruction accepts, when the immediate is an operand with a closed set of
    /// values (the address-space pair of <see cref="Operation.AddressSpaceCast"/>); empty when any value is accepted.
    /// </summary>
    public IReadOnlyList<int> AllowedImmediates { get; internal init; } = [];

    /// <summary>What the immediate of an <c>lddw</c> means.</summary>
    public LoadImm64Source PseudoSource { get; internal init; }

    /// <summary>Instruction slots the instruction occupies: 2 for <c>lddw</c>, 1 otherwise.</summary>
    public int SlotCount => Operation == Operation.LoadImm64 ? 2 : 1;

    /// <summary>Fields that carry operands: neither reserved nor the discriminator.</summary>
    public InstructionFields Operands => InstructionFields.All & ~Reserved & ~Discriminator;

    /// <summary>True for every jump, conditional or not (not calls or exit).</summary>
    public bool IsJump => Operation is >= Operation.Ja and <= Operation.Jsle;

    /// <summary>True for conditional jumps.</summary>
    public bool IsConditionalJump => Operation is >= Operation.Jeq and <= Operation.Jsle;

    /// <summary>True for the unconditional jumps <c>ja</c> and <c>ja32</c>.</summary>
    public bool IsUnconditionalJump => Operation is Operation.Ja or Operation.Ja32;

    /// <summary>True for atomic operations, including load-acquire and store-release.</summary>
    public bool IsAtomic => Operation is >= Operation.AtomicAdd and <= Operation.StoreRelease;

    /// <summary>True for the atomic read-modify-write operations (not load-acquire or store-release).</summary>
    public bool IsAtomicReadModifyWrite => Operation is >= Operation.AtomicAdd and <= Operation.AtomicCmpXchg;

    /// <summary>True when the destination register is written (so it must not be the read-only r10).</summary>
    public bool WritesDst => Class is OpcodeClass.Alu or OpcodeClass.Alu64
        || Operation is Operation.Load or Operation.LoadSx or Operation.LoadAcquire or Operation.LoadImm64;

    /// <summary>True when the source register is written (fetching atomics and exchange).</summary>
    public bool WritesSrc => Fetch;

    /// <summary>True when the instruction names another instruction: jumps, local calls, function-address loads.</summary>
    public bool HasTarget => IsJump || Operation == Operation.CallLocal
        || (Operation == Operation.LoadImm64 && PseudoSource == LoadImm64Source.Function);

    /// <summary>
    /// The index of the instruction a jump, local call or function-address load at <paramref name="index"/>
    /// names (it may be out of range: validation checks it), or null if it names none.
    /// </summary>
    public long? TargetOf(in Instruction instruction, int index)
    {
        if (!HasTarget)
            return null;
        long relative = Operation == Operation.Ja || IsConditionalJump ? instruction.Offset : instruction.Immediate;
        return index + 1L + relative;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Mnemonic} (0x{Opcode:x2})";
}
