using Bpf.Isa;

namespace Bpf.Tests.Differential;

/// <summary>
/// The rows of the <see cref="OpcodeTable"/> the generator draws from, grouped by what a program
/// does with them, and an encoder that turns a row and its operands into an instruction. Nothing
/// here knows an opcode number: adding a row to the table adds it to the generated programs.
/// </summary>
internal static class InstructionRows
{
    /// <summary>Every ALU and ALU64 row: arithmetic, moves, sign-extending moves, byte swaps.</summary>
    public static readonly OpcodeInfo[] Arithmetic = Where(r => r.Class is OpcodeClass.Alu or OpcodeClass.Alu64 && r.Operation != Operation.AddressSpaceCast);

    /// <summary>Every conditional jump, JMP and JMP32, immediate and register forms.</summary>
    public static readonly OpcodeInfo[] ConditionalJumps = Where(r => r.IsConditionalJump);

    /// <summary>Plain and sign-extending loads of every size.</summary>
    public static readonly OpcodeInfo[] Loads = Where(r => r.Operation is Operation.Load or Operation.LoadSx);

    /// <summary>Stores of a register, every size.</summary>
    public static readonly OpcodeInfo[] Stores = Where(r => r.Operation == Operation.Store);

    /// <summary>Stores of an immediate, every size.</summary>
    public static readonly OpcodeInfo[] StoreImmediates = Where(r => r.Operation == Operation.StoreImm);

    /// <summary>Every atomic: read-modify-write with and without fetch, exchange, compare-exchange, load-acquire, store-release.</summary>
    public static readonly OpcodeInfo[] Atomics = Where(r => r.IsAtomic);

    /// <summary>Every row that accesses memory through a base register.</summary>
    public static readonly OpcodeInfo[] MemoryAccesses = [.. Loads, .. Stores, .. StoreImmediates, .. Atomics];

    /// <summary>The legacy packet loads <c>ldabs</c> and <c>ldind</c>.</summary>
    public static readonly OpcodeInfo[] PacketLoads = Where(r => r.Operation is Operation.LoadPacketAbsolute or Operation.LoadPacketIndirect);

    public static readonly OpcodeInfo Mov64Imm = Alu(Operation.Mov, is64: true, register: false);
    public static readonly OpcodeInfo Mov32Imm = Alu(Operation.Mov, is64: false, register: false);
    public static readonly OpcodeInfo Mov64Reg = Alu(Operation.Mov, is64: true, register: true);
    public static readonly OpcodeInfo Mov32Reg = Alu(Operation.Mov, is64: false, register: true);
    public static readonly OpcodeInfo Add64Imm = Alu(Operation.Add, is64: true, register: false);
    public static readonly OpcodeInfo Add32Imm = Alu(Operation.Add, is64: false, register: false);
    public static readonly OpcodeInfo Sub64Imm = Alu(Operation.Sub, is64: true, register: false);
    public static readonly OpcodeInfo Sub32Imm = Alu(Operation.Sub, is64: false, register: false);
    public static readonly OpcodeInfo Add64Reg = Alu(Operation.Add, is64: true, register: true);
    public static readonly OpcodeInfo Sub64Reg = Alu(Operation.Sub, is64: true, register: true);
    public static readonly OpcodeInfo Xor64Reg = Alu(Operation.Xor, is64: true, register: true);
    public static readonly OpcodeInfo Or64Reg = Alu(Operation.Or, is64: true, register: true);
    public static readonly OpcodeInfo Mul64Imm = Alu(Operation.Mul, is64: true, register: false);

    /// <summary><c>lddw</c> of a plain constant.</summary>
    public static readonly OpcodeInfo LoadImm64 = Single(r => r.Operation == Operation.LoadImm64 && r.PseudoSource == LoadImm64Source.Immediate);

    public static readonly OpcodeInfo Ja = Single(r => r.Operation == Operation.Ja);
    public static readonly OpcodeInfo Ja32 = Single(r => r.Operation == Operation.Ja32);
    public static readonly OpcodeInfo Call = Single(r => r.Operation == Operation.Call);
    public static readonly OpcodeInfo CallLocal = Single(r => r.Operation == Operation.CallLocal);
    public static readonly OpcodeInfo Callx = Single(r => r.Operation == Operation.Callx);
    public static readonly OpcodeInfo Exit = Single(r => r.Operation == Operation.Exit);

    /// <summary>
    /// Rows no generated program uses, because running them needs something only a loader
    /// provides (a kfunc, a map, a function address for a helper); every other row is generated.
    /// </summary>
    public static readonly OpcodeInfo[] NotGenerated = Where(r =>
        r.Operation is Operation.CallKfunc or Operation.AddressSpaceCast || r.Operation == Operation.LoadImm64 && r.PseudoSource != LoadImm64Source.Immediate);

    private static readonly OpcodeInfo[] s_loadBySize = BySize(Operation.Load);
    private static readonly OpcodeInfo[] s_storeBySize = BySize(Operation.Store);
    private static readonly OpcodeInfo[] s_storeImmediateBySize = BySize(Operation.StoreImm);

    /// <summary>The zero-extending load of <paramref name="size"/> bytes.</summary>
    public static OpcodeInfo Load(int size) => s_loadBySize[size];

    /// <summary>The store of a register of <paramref name="size"/> bytes.</summary>
    public static OpcodeInfo Store(int size) => s_storeBySize[size];

    /// <summary>The store of an immediate of <paramref name="size"/> bytes.</summary>
    public static OpcodeInfo StoreImmediate(int size) => s_storeImmediateBySize[size];

    /// <summary>The conditional jump with the given operation, width and operand form.</summary>
    public static OpcodeInfo Condition(Operation operation, bool is64, bool register) =>
        ConditionalJumps.Single(r => r.Operation == operation && r.Is64 == is64 && r.UsesSourceRegister == register);

    /// <summary>
    /// The instruction of <paramref name="row"/> with the given operands: fields the row reserves
    /// are zeroed and its discriminating field gets the row's value, so the result decodes to
    /// exactly this row (which is checked).
    /// </summary>
    public static Instruction Encode(OpcodeInfo row, int dst = 0, int src = 0, int offset = 0, int immediate = 0)
    {
        if ((row.Reserved & InstructionFields.Dst) != 0)
            dst = 0;
        if ((row.Reserved & InstructionFields.Src) != 0)
            src = 0;
        if ((row.Reserved & InstructionFields.Offset) != 0)
            offset = 0;
        if ((row.Reserved & InstructionFields.Immediate) != 0)
            immediate = 0;
        switch (row.Discriminator)
        {
            case InstructionFields.Src: src = row.DiscriminatorValue; break;
            case InstructionFields.Offset: offset = row.DiscriminatorValue; break;
            case InstructionFields.Immediate: immediate = row.DiscriminatorValue; break;
        }

        var instruction = new Instruction(row.Opcode, dst, src, checked((short)offset), immediate);
        if (!OpcodeTable.TryDescribe(instruction, out var info, out var error) || info != row)
            throw new InvalidOperationException($"encoding {row} with dst={dst} src={src} off={offset} imm={immediate} gives {instruction}: {error ?? info?.ToString()}");
        return instruction;
    }

    /// <summary>The same instruction with another offset (jump targets are patched in once the layout is known).</summary>
    public static Instruction WithOffset(Instruction instruction, int offset) =>
        new(instruction.Opcode, instruction.Dst, instruction.Src, checked((short)offset), instruction.Immediate);

    /// <summary>The same instruction with another immediate.</summary>
    public static Instruction WithImmediate(Instruction instruction, int immediate) =>
        new(instruction.Opcode, instruction.Dst, instruction.Src, instruction.Offset, immediate);

    private static OpcodeInfo Alu(Operation operation, bool is64, bool register) =>
        Single(r => r.Operation == operation && r.Class is OpcodeClass.Alu or OpcodeClass.Alu64 && r.Is64 == is64 && r.UsesSourceRegister == register);

    private static OpcodeInfo[] BySize(Operation operation)
    {
        var bySize = new OpcodeInfo[9];
        foreach (int size in (ReadOnlySpan<int>)[1, 2, 4, 8])
            bySize[size] = Single(r => r.Operation == operation && r.AccessSize == size);
        return bySize;
    }

    private static OpcodeInfo[] Where(Func<OpcodeInfo, bool> predicate) => OpcodeTable.All.Where(predicate).ToArray();

    private static OpcodeInfo Single(Func<OpcodeInfo, bool> predicate) => OpcodeTable.All.Single(predicate);
}
