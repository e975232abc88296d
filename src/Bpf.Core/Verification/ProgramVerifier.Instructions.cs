using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>What each instruction does to the state: arithmetic, jumps, <c>lddw</c>.</summary>
public sealed partial class ProgramVerifier
{
    private const int MaxPointerOffset = 1 << 29;

    // The rows for adding and subtracting a variable offset to a pointer's variable part.
    private static readonly OpcodeInfo s_add64 = OpcodeTable.WithOpcode(0x0f)[0];
    private static readonly OpcodeInfo s_sub64 = OpcodeTable.WithOpcode(0x1f)[0];

    private Step Execute(int pc, VerifierState state)
    {
        var info = _code.InfoAt(pc)!;
        var instruction = _code[pc];
        switch (info.Class)
        {
            case OpcodeClass.Alu or OpcodeClass.Alu64:
                RecordFacts(pc, info, instruction, state);
                return Step.Next(pc + 1, Arithmetic(pc, info, instruction, state));
            case OpcodeClass.Jmp or OpcodeClass.Jmp32:
                return Jump(pc, info, instruction, state);
            case OpcodeClass.Ld when info.Operation == Operation.LoadImm64:
                return Step.Next(pc + 2, state.With(instruction.Dst, LoadImmediate(pc, info, instruction)));
            case OpcodeClass.Ld:
                return Step.Next(pc + 1, LegacyPacketLoad(pc, info, instruction, state));
            default:
                return Step.Next(pc + 1, MemoryInstruction(pc, info, instruction, state));
        }
    }

    private RegisterState Read(int pc, VerifierState state, int register)
    {
        var value = state[register];
        if (value.Kind == RegisterKind.NotInitialized)
            throw Reject(DiagnosticCode.UninitializedRegister, pc, $"r{register} is read before it is written on this path");
        return value;
    }

    private VerifierState Arithmetic(int pc, OpcodeInfo info, Instruction instruction, VerifierState state)
    {
        int dst = instruction.Dst;
        var source = info.UsesSourceRegister ? Read(pc, state, instruction.Src) : RegisterState.Constant((ulong)(long)instruction.Immediate);
        if (info.Operation == Operation.AddressSpaceCast)
            return AddressSpaceCast(pc, instruction, source, state);

        if (info.Operation is Operation.Mov)
        {
            if (!info.Is64 && source.IsPointer)
            {
                if (Strict)
                    throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"a 32-bit copy of pointer r{instruction.Src} turns half of its value into a number", Describe(instruction.Src, source));
                return state.With(dst, RegisterState.FromScalar(Scalar.Unknown.ZeroExtend32()));
            }
            if (!info.Is64)
                return state.With(dst, RegisterState.FromScalar(source.Value.ZeroExtend32()));
            if (source.IsScalar && info.UsesSourceRegister)
            {
                // A copy shares what later checks learn about either register (Linux's equal scalars).
                if (source.Id == 0 && !source.IsConstant)
                {
                    (state, int id) = state.TakeId();
                    source = source with { Id = id };
                    state = state.With(instruction.Src, source);
                }

                return state.With(dst, source);
            }

            return state.With(dst, source with { Origin = source.IsPointer ? source.Origin : pc });
        }

        var target = info.Operation is Operation.Neg or Operation.ToLe or Operation.ToBe or Operation.Swap
            ? Read(pc, state, dst)
            : info.Operation == Operation.MovSx ? RegisterState.UnknownScalar : Read(pc, state, dst);
        if (info.Operation == Operation.MovSx)
        {
            if (source.IsPointer)
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"sign extension of pointer r{instruction.Src}", Describe(instruction.Src, source));
            return state.With(dst, RegisterState.FromScalar(ScalarArithmetic.Apply(info, Scalar.Unknown, source.Value)));
        }

        if (target.Kind == RegisterKind.Arena || (source.Kind == RegisterKind.Arena && target.IsScalar))
            return state.With(dst, ArenaArithmetic(pc, info, instruction, target, source));

        if (target.IsScalar && source.IsScalar)
        {
            // x & m and x >> n are at most x: a bound below a length survives them (64-bit only).
            int below = info.Is64 && info.Operation is Operation.And or Operation.Rsh ? target.Below : 0;
            return state.With(dst, new RegisterState(RegisterKind.Scalar, ScalarArithmetic.Apply(info, target.Value, source.Value), Below: below));
        }

        return state.With(dst, PointerArithmetic(pc, info, instruction, target, source, state));
    }

    /// <summary>Arithmetic with a pointer: only adding or subtracting a scalar (64-bit), or subtracting two pointers into the same thing.</summary>
    private RegisterState PointerArithmetic(int pc, OpcodeInfo info, Instruction instruction, RegisterState target, RegisterState source, VerifierState state)
    {
        int dst = instruction.Dst;
        string[] Involved() => [Describe(dst, target), Describe(instruction.Src, source)];
        if (!info.Is64)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"32-bit {info.Mnemonic} on a pointer truncates it", Involved());

        if (info.Operation == Operation.Sub && target.IsPointer && source.IsPointer)
        {
            // data_end - data and the like give the packet's length; other pointers must point into the same thing.
            bool packets = target.Kind is RegisterKind.Packet or RegisterKind.PacketEnd or RegisterKind.PacketMeta
                && source.Kind is RegisterKind.Packet or RegisterKind.PacketEnd or RegisterKind.PacketMeta;
            if (!packets && (target.Kind != source.Kind || target.Kind is RegisterKind.MapPointer or RegisterKind.Context))
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, "subtracting pointers into different things", Involved());
            return RegisterState.UnknownScalar with { Origin = pc };
        }

        bool add = info.Operation == Operation.Add;
        if (!(add || info.Operation == Operation.Sub) || (info.Operation == Operation.Sub && target.IsScalar))
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"{info.Mnemonic} on a pointer: only adding or subtracting a number keeps a pointer valid", Involved());

        if (target.IsPointer && source.IsPointer)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"r{dst} pointer += pointer: adding two pointers gives no pointer into anything (Linux refuses it)", Involved());

        var (pointer, scalar) = target.IsPointer ? (target, source) : (source, target);
        if (pointer.MaybeNull)
            throw Reject(DiagnosticCode.PossiblyNull, pc, $"arithmetic on a pointer that may be null{Origin(pointer)}; check it against 0 first", Involved());
        if (pointer.Kind is RegisterKind.MapPointer or RegisterKind.PacketEnd or RegisterKind.Function)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"arithmetic on {pointer.Kind} is not allowed", Involved());
        if (!add && pointer.Kind == RegisterKind.Stack)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, "subtraction from a stack pointer, which Linux refuses: add a negative number instead", Involved());

        if (scalar.IsConstant)
        {
            long delta = (long)scalar.Value.ConstantValue;
            long offset = add ? pointer.Offset + delta : pointer.Offset - delta;
            if (offset is <= -MaxPointerOffset or >= MaxPointerOffset)
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"the pointer's offset {offset} is out of range", Involved());
            return pointer with { Offset = (int)offset };
        }

        if (pointer.Kind == RegisterKind.Context)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, "a variable offset on the context pointer: context fields must be accessed at constant offsets", Involved());

        // Linux's check_reg_sane_offset: the number must have bounds that keep the pointer's offset
        // within BPF_MAX_VAR_OFF (raw input indexed below its length is checked at the access).
        bool indexesInput = add && pointer.Kind == RegisterKind.Memory && pointer.Size < 0 && scalar.Below == pointer.Id;
        if (!indexesInput && scalar.Value.SMin == long.MinValue)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"{info.Mnemonic} of a pointer and a number with no lower bound: check the number's range first", Involved());
        if (!indexesInput && scalar.Value.SMin is >= MaxPointerOffset or <= -MaxPointerOffset)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"{info.Mnemonic} of a pointer and a number of at least {scalar.Value.SMin} moves the pointer out of any object", Involved());

        var variable = add
            ? ScalarArithmetic.Apply(s_add64, pointer.Value, scalar.Value)
            : ScalarArithmetic.Apply(s_sub64, pointer.Value, scalar.Value);
        // Input memory plus an index proven below its length stays inside it.
        int belowLength = add && pointer.Kind == RegisterKind.Memory && pointer.Size < 0 && pointer.Value.IsConstant
            && pointer.Value.ConstantValue == 0 && scalar.Below == pointer.Id ? pointer.Id : 0;
        var moved = pointer with { Value = variable, Below = belowLength };
        if (pointer.Kind == RegisterKind.Packet)
        {
            // A packet pointer with a new variable part needs its own check against data_end.
            moved = moved with { Range = 0, Id = NewPacketId(pc) };
        }

        return moved;
    }

    private static string Origin(RegisterState pointer) => pointer.Origin >= 0 ? $" (it came from instruction {pointer.Origin})" : "";

    private RegisterState LoadImmediate(int pc, OpcodeInfo info, Instruction instruction)
    {
        switch (info.PseudoSource)
        {
            case LoadImm64Source.Immediate:
                return RegisterState.Constant(_code.Immediate64At(pc));
            case LoadImm64Source.MapFd or LoadImm64Source.MapIndex:
                return RegisterState.Pointer(RegisterKind.MapPointer, pc) with { Map = MapAt(pc, instruction.Immediate) };
            case LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue:
            {
                var map = MapAt(pc, instruction.Immediate);
                int offset = _code[pc + 1].Immediate;
                if (map.MaxEntries != 1 || map.Type != Maps.BpfMapType.Array || (uint)offset >= (uint)map.ValueSize)
                    throw Reject(DiagnosticCode.OutOfBounds, pc, $"direct access to the value of map {map.Name} at offset {offset}: only single-element arrays allow it, inside the value ({map.ValueSize} bytes)");
                return new RegisterState(RegisterKind.MapValue, Scalar.Constant(0), Offset: offset, Map: map, Size: map.ValueSize,
                    ReadOnly: (map.Flags & Maps.BpfMapFlags.ReadOnlyProgram) != 0, Origin: pc);
            }

            case LoadImm64Source.Function:
                return new RegisterState(RegisterKind.Function, Scalar.Constant((ulong)info.TargetOf(instruction, pc)!.Value), Origin: pc);
            default:
                throw Reject(DiagnosticCode.InvalidStructure, pc, $"lddw of a {info.PseudoSource}: kernel BTF objects do not exist in user space");
        }
    }

    private Maps.BpfMap MapAt(int pc, int index) =>
        (uint)index < (uint)_options.Maps.Count
            ? _options.Maps[index]
            : throw Reject(DiagnosticCode.InvalidStructure, pc, $"lddw of map {index}, but the program has {_options.Maps.Count} maps");

    private Step Jump(int pc, OpcodeInfo info, Instruction instruction, VerifierState state)
    {
        switch (info.Operation)
        {
            case Operation.Ja or Operation.Ja32:
                return Step.Next((int)info.TargetOf(instruction, pc)!.Value, state);
            case Operation.Exit:
                return Exit(pc, state);
            case Operation.Call:
                return CallHelper(pc, instruction.Immediate, state);
            case Operation.CallKfunc:
                return Step.Next(pc + 1, CallKfunc(pc, instruction.Immediate, state));
            case Operation.CallLocal:
                return CallLocal(pc, (int)info.TargetOf(instruction, pc)!.Value, state);
            case Operation.Callx:
                throw Reject(DiagnosticCode.InvalidStructure, pc, "callx (indirect calls) cannot be verified");
        }

        int target = (int)info.TargetOf(instruction, pc)!.Value;
        return Branch(pc, info, instruction, state, target);
    }
}
