using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// Which registers each instruction's future may read before writing them: a backward dataflow
/// pass over the control flow graph. A register not live at an instruction cannot influence what
/// happens after it, so state pruning there ignores it (Linux learns the same from its read marks).
/// The uses are an over-approximation of what the verifier reads (a helper call reads the
/// arguments of its prototype, every other call r1-r5; an instruction the pass does not model
/// reads everything), which only makes more registers live.
/// </summary>
internal sealed class RegisterLiveness
{
    private const ushort All = 0x7FF;
    private const ushort FramePointer = 1 << Registers.FramePointer;
    private const ushort Arguments = 0b11_1110;
    private const ushort CallClobbers = 0b11_1111;
    private readonly ushort[] _liveIn;

    private RegisterLiveness(ushort[] liveIn) => _liveIn = liveIn;

    /// <summary>The registers (bit n: rn) that may be read at or after <paramref name="pc"/> before being written.</summary>
    public ushort LiveAt(int pc) => (uint)pc < (uint)_liveIn.Length ? _liveIn[pc] : All;

    /// <summary>Solves liveness for <paramref name="code"/>.</summary>
    public static RegisterLiveness Of(Bytecode code)
    {
        int length = code.Length;
        var uses = new ushort[length];
        var defs = new ushort[length];
        var successors = new (int First, int Second)[length];
        for (int pc = 0; pc < length; pc++)
        {
            var info = code.InfoAt(pc);
            successors[pc] = (-1, -1);
            if (info is null)
                continue; // the second slot of an lddw
            (uses[pc], defs[pc]) = UsesAndDefinitions(info, code[pc]);
            successors[pc] = Successors(info, code[pc], pc, length);
        }

        var liveIn = new ushort[length];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int pc = length - 1; pc >= 0; pc--)
            {
                if (code.InfoAt(pc) is null)
                    continue;
                var (first, second) = successors[pc];
                ushort liveOut = (ushort)((first >= 0 ? liveIn[first] : 0) | (second >= 0 ? liveIn[second] : 0));
                ushort live = (ushort)(uses[pc] | (liveOut & ~defs[pc]) | FramePointer);
                if (live != liveIn[pc])
                {
                    liveIn[pc] = live;
                    changed = true;
                }
            }
        }

        return new RegisterLiveness(liveIn);
    }

    private static ushort Bit(int register) => (ushort)(1 << register);

    /// <summary>
    /// The registers a call of helper <paramref name="id"/> reads: the arguments its prototype has
    /// (the verifier checks no others, and r1-r5 are clobbered after it), as Linux's liveness has
    /// it. A helper without a prototype is refused anyway; it reads all five.
    /// </summary>
    private static ushort HelperArguments(int id)
    {
        if (HelperPrototypes.Find(id) is not { } prototype)
            return Arguments;
        ushort used = 0;
        for (int r = 1; r <= HelperPrototype.MaxArguments; r++)
        {
            if (prototype.Argument(r) != HelperArgument.DontCare)
                used |= Bit(r);
        }

        return used;
    }

    private static (ushort Uses, ushort Definitions) UsesAndDefinitions(OpcodeInfo info, Instruction instruction)
    {
        // Loads and stores always name a source register (the address, the value stored), though
        // the opcode's source bit, which UsesSourceRegister reports, is not set for them.
        ushort src = info.UsesSourceRegister || info.Class is OpcodeClass.Ldx or OpcodeClass.Stx ? Bit(instruction.Src) : (ushort)0;
        ushort dst = Bit(instruction.Dst);
        switch (info.Class)
        {
            case OpcodeClass.Alu or OpcodeClass.Alu64:
                return info.Operation is Operation.Mov or Operation.MovSx or Operation.AddressSpaceCast
                    ? (src, dst)
                    : ((ushort)(src | dst), dst);
            case OpcodeClass.Jmp or OpcodeClass.Jmp32:
                return info.Operation switch
                {
                    Operation.Ja or Operation.Ja32 => (0, 0),
                    Operation.Exit => (Bit(0), 0),
                    Operation.Call => (HelperArguments(instruction.Immediate), CallClobbers),
                    Operation.CallKfunc or Operation.CallLocal => (Arguments, CallClobbers),
                    Operation.Callx => ((ushort)(Arguments | dst), CallClobbers),
                    _ => ((ushort)(src | dst), 0),
                };
            case OpcodeClass.Ld when info.Operation == Operation.LoadImm64:
                return (0, dst);
            case OpcodeClass.Ldx:
                return (src, dst);
            case OpcodeClass.St:
                return (dst, 0);
            case OpcodeClass.Stx when !info.IsAtomic:
                return ((ushort)(src | dst), 0);
            case OpcodeClass.Stx:
                return info.Operation switch
                {
                    Operation.LoadAcquire => (src, dst),
                    Operation.StoreRelease => ((ushort)(src | dst), 0),
                    // r0 holds the expected value and receives the old one.
                    Operation.AtomicCmpXchg => ((ushort)(src | dst | Bit(0)), Bit(0)),
                    // The fetching forms (and exchange) return the old value in the source register.
                    _ => ((ushort)(src | dst), info.Fetch ? src : (ushort)0),
                };
            case OpcodeClass.Ld when info.Operation is Operation.LoadPacketAbsolute or Operation.LoadPacketIndirect:
                // The legacy packet loads read the context from r6 (and the offset from src), leave
                // the result in r0 and clobber r1-r5, as a call does.
                return ((ushort)(Bit(6) | (info.Operation == Operation.LoadPacketIndirect ? src : 0)), CallClobbers);
            default:
                // Anything else is taken to read everything and write nothing.
                return (All, 0);
        }
    }

    private static (int First, int Second) Successors(OpcodeInfo info, Instruction instruction, int pc, int length)
    {
        int Valid(long target) => target >= 0 && target < length ? (int)target : -1;
        if (info.Operation == Operation.Exit)
            return (-1, -1);
        if (info.Operation == Operation.LoadImm64)
            return (Valid(pc + 2), -1);
        if (info.IsUnconditionalJump)
            return (Valid(info.TargetOf(instruction, pc)!.Value), -1);
        if (info.IsConditionalJump)
            return (Valid(pc + 1), Valid(info.TargetOf(instruction, pc)!.Value));
        return (Valid(pc + 1), -1);
    }
}
