using Bpf.Isa;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Verification;

/// <summary>Loads, stores and atomics: every access checked against what its pointer may reach.</summary>
public sealed partial class ProgramVerifier
{
    /// <summary>Packet pointers with a variable part get an id of their own, fixed by the instruction so paths compare equal.</summary>
    private static int NewPacketId(int pc) => -(pc + 1);

    private VerifierState MemoryInstruction(int pc, OpcodeInfo info, Instruction instruction, VerifierState state)
    {
        int size = info.AccessSize;
        switch (info.Operation)
        {
            case Operation.Load or Operation.LoadSx or Operation.LoadAcquire:
            {
                var pointer = Read(pc, state, instruction.Src);
                var (after, loaded) = Access(pc, state, instruction.Src, pointer, instruction.Offset, size, write: false, stored: null);
                if (info.Operation == Operation.LoadSx && loaded.IsScalar)
                    loaded = RegisterState.FromScalar(loaded.Value.SignExtend(size * 8));
                return after.With(instruction.Dst, loaded with { Origin = loaded.IsPointer ? loaded.Origin : pc });
            }

            case Operation.Store or Operation.StoreRelease:
            {
                var pointer = Read(pc, state, instruction.Dst);
                var value = Read(pc, state, instruction.Src);
                return Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, write: true, stored: value).State;
            }

            case Operation.StoreImm:
            {
                var pointer = Read(pc, state, instruction.Dst);
                return Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, write: true,
                    stored: RegisterState.Constant((ulong)(long)instruction.Immediate)).State;
            }

            default:
            {
                // Atomic read-modify-write: the memory is read and written, and must not be the context or a pointer.
                var pointer = Read(pc, state, instruction.Dst);
                var value = Read(pc, state, instruction.Src);
                if (value.IsPointer)
                    throw Reject(DiagnosticCode.PointerLeak, pc, $"an atomic operation with pointer r{instruction.Src}", Describe(instruction.Src, value));
                if (pointer.Kind is RegisterKind.Context or RegisterKind.Packet)
                    throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"atomic operations on {pointer.Kind} memory are not allowed", Describe(instruction.Dst, pointer));
                CheckArenaAtomic(pc, info, instruction.Dst, pointer);
                if (info.Operation == Operation.AtomicCmpXchg)
                    Read(pc, state, 0);
                var (after, _) = Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, write: false, stored: null);
                after = Access(pc, after, instruction.Dst, pointer, instruction.Offset, size, write: true, stored: RegisterState.UnknownScalar).State;
                var result = RegisterState.FromScalar(size == 4 ? Scalar.Unknown.ZeroExtend32() : Scalar.Unknown);
                if (info.Operation == Operation.AtomicCmpXchg)
                    return after.With(0, result);
                return info.Fetch ? after.With(instruction.Src, result) : after;
            }
        }
    }

    /// <summary>
    /// Checks one access of <paramref name="size"/> bytes at <paramref name="offset"/> from
    /// <paramref name="pointer"/> (register <paramref name="register"/>) and returns the state after
    /// it and, for a read, what was read.
    /// </summary>
    private (VerifierState State, RegisterState Loaded) Access(int pc, VerifierState state, int register, RegisterState pointer, short offset,
        int size, bool write, RegisterState? stored)
    {
        string involved = Describe(register, pointer);
        if (pointer.IsScalar)
            throw Reject(DiagnosticCode.NotAPointer, pc, $"r{register} is a number, not a pointer: memory cannot be accessed through it", involved);
        if (pointer.MaybeNull)
        {
            throw Reject(DiagnosticCode.PossiblyNull, pc,
                $"r{register} may be null here: it came from {OriginText(pointer)} and was not checked against 0", involved);
        }

        NoteAccess(pc, register, pointer);
        if (write && stored is { IsPointer: true } && _options.Unprivileged && pointer.Kind != RegisterKind.Stack)
            throw Reject(DiagnosticCode.PointerLeak, pc, "storing a pointer into memory the host can read leaks its value", involved);

        var unknown = RegisterState.FromScalar(size == 8 ? Scalar.Unknown : Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1));
        switch (pointer.Kind)
        {
            case RegisterKind.Stack:
                return StackAccess(pc, state, register, pointer, offset, size, write, stored);

            case RegisterKind.MapValue:
                if (write && pointer.ReadOnly)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, $"a write into map {pointer.Map?.Name}, which programs may only read", involved);
                CheckRange(pc, register, pointer, offset, size, pointer.Size, $"the {pointer.Size}-byte value of map {pointer.Map?.Name}");
                CheckNotSpinLock(pc, register, pointer, offset, size);
                return (state, unknown);

            case RegisterKind.Memory:
            {
                long bound = pointer.Size >= 0 ? pointer.Size : state.ProvenSize(pointer.Id);
                if (write && pointer.ReadOnly)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, "a write into read-only memory", involved);
                string what = pointer.Size >= 0
                    ? $"the {pointer.Size}-byte memory"
                    : $"the input memory, of which {bound} bytes are proven to exist here (check the length first)";
                // p = input + i with i < length: the byte at p itself is inside.
                bool indexed = pointer.Below != 0 && pointer.Below == pointer.Id && pointer.Value.SMin >= 0 && pointer.Offset + offset == 0 && size == 1;
                if (!indexed)
                    CheckRange(pc, register, pointer, offset, size, bound, what);
                return (state, unknown);
            }

            case RegisterKind.Packet:
            {
                if (write && !PacketWritable)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, $"{_options.Type.Name} programs may not write the packet", involved);
                if (pointer.Value.SMin < 0)
                    throw Reject(DiagnosticCode.OutOfBounds, pc, $"r{register}'s variable offset may be negative", involved);
                long start = pointer.Offset + offset;
                if (start < 0 || start + size > pointer.Range)
                {
                    throw Reject(DiagnosticCode.OutOfBounds, pc,
                        $"packet access of {size} bytes at offset {start} from r{register}, but only {pointer.Range} bytes are proven to be in the packet (compare a pointer against data_end first)",
                        involved);
                }

                return (state, unknown);
            }

            case RegisterKind.Context:
                return (state, ContextAccess(pc, register, pointer, offset, size, write, stored));

            case RegisterKind.Arena:
                return ArenaAccess(state, size);

            default:
                throw Reject(DiagnosticCode.NotAPointer, pc, $"r{register} ({pointer.Kind}) cannot be dereferenced", involved);
        }
    }

    private bool PacketWritable => _options.Type.Kind is BpfProgramKind.Xdp or BpfProgramKind.SchedCls or BpfProgramKind.SchedAct
        or BpfProgramKind.LwtXmit or BpfProgramKind.SkSkb;

    private static string OriginText(RegisterState pointer) => pointer.Origin >= 0 ? $"instruction {pointer.Origin}" : "a helper";

    /// <summary>Every byte the access may touch, over the pointer's whole variable range, must lie in [0, <paramref name="bound"/>).</summary>
    private void CheckRange(int pc, int register, RegisterState pointer, short offset, int size, long bound, string what)
    {
        long fixedStart = (long)pointer.Offset + offset;
        long low = fixedStart + pointer.Value.SMin;
        long high = pointer.Value.SMax > int.MaxValue ? long.MaxValue : fixedStart + pointer.Value.SMax + size;
        if (pointer.Value.SMin < -MaxPointerOffset || low < 0 || high > bound)
        {
            string range = pointer.Value.IsConstant ? $"offset {fixedStart + (long)pointer.Value.ConstantValue}" : $"offsets {low} to {(high == long.MaxValue ? "unbounded" : (high - size).ToString(System.Globalization.CultureInfo.InvariantCulture))}";
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"access of {size} bytes at {range} of {what}", Describe(register, pointer));
        }
    }

    private (VerifierState State, RegisterState Loaded) StackAccess(int pc, VerifierState state, int register, RegisterState pointer,
        short offset, int size, bool write, RegisterState? stored)
    {
        if (!pointer.Value.IsConstant)
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"a stack access at a variable offset through r{register}: use a constant offset", Describe(register, pointer));
        long at = pointer.Offset + offset + (long)pointer.Value.ConstantValue;
        if (at < -StackState.FrameSize || at + size > 0)
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"stack access of {size} bytes at fp{at}: the frame is fp-512 to fp-1", Describe(register, pointer));
        int slot = (int)at;
        var frame = state.Frames[pointer.Frame];
        if (write)
        {
            if (stored is { IsPointer: true } && (size != 8 || slot % 8 != 0))
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"a pointer stored with a {size}-byte store at fp{slot} would be cut (spill pointers with 8-byte aligned stores)", Describe(register, pointer));
            var stack = size == 8 && slot % 8 == 0 && stored is { } value
                ? frame.Stack.Spill(slot, value)
                : frame.Stack.Write(slot, size, stored is { IsConstant: true } zero && zero.Value.ConstantValue == 0);
            return (state.WithFrame(pointer.Frame, frame with { Stack = stack }), default);
        }

        if (size == 8 && frame.Stack.SpillAt(slot) is { } spilled)
            return (state, spilled);
        for (int i = 0; i < size; i++)
        {
            int slotStart = ((slot + i) >> 3) << 3;
            if (frame.Stack.ByteAt(slot + i) == StackByte.Spill && frame.Stack.SpillAt(slotStart) is { IsPointer: true })
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"a {size}-byte read of part of a pointer spilled at fp{slotStart}", Describe(register, pointer));
        }

        if (!frame.Stack.IsInitialized(slot, size))
            throw Reject(DiagnosticCode.UninitializedStack, pc, $"a read of {size} bytes at fp{slot}, which were not written on this path", Describe(register, pointer));
        if (frame.Stack.IsZero(slot, size))
            return (state, RegisterState.Constant(0));
        return (state, RegisterState.FromScalar(size == 8 ? Scalar.Unknown : Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1)));
    }

    /// <summary>A context field: within a field the program type defines, pointer fields read whole, writes only to writable fields.</summary>
    private RegisterState ContextAccess(int pc, int register, RegisterState pointer, short offset, int size, bool write, RegisterState? stored)
    {
        if (IsSyscallProgram)
            return SyscallContextAccess(pc, register, pointer, offset, size, write, stored);
        var layout = Context!;
        long at = pointer.Offset + offset;
        string involved = Describe(register, pointer);
        if (!pointer.Value.IsConstant || pointer.Value.ConstantValue != 0)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, "the context is accessed through a pointer with a variable offset", involved);
        var field = at >= 0 && at + size <= layout.Size ? layout.FieldAt((int)at) : null;
        bool structContext = _options.Type.Kind == BpfProgramKind.Unspec;
        if (field is null && !(structContext && at >= 0 && at + size <= layout.Size && !write))
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"{layout.Name} has no field at offset {at} ({size} bytes) that {_options.Type.Name} programs may {(write ? "write" : "read")}", involved);
        if (field is not null && at + size > field.Offset + field.Size)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"a {size}-byte access at offset {at} runs past {layout.Name}.{field.Name}", involved);

        if (write)
        {
            if (field is null || !field.Writable)
                throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"{layout.Name}.{field?.Name ?? $"+{at}"} is read-only for {_options.Type.Name} programs", involved);
            if (stored is { IsPointer: true })
                throw Reject(DiagnosticCode.PointerLeak, pc, "storing a pointer into the context", involved);
            return default;
        }

        if (field is { Pointer: not ContextPointer.None })
        {
            if (at != field.Offset || size != field.Size)
                throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"{layout.Name}.{field.Name} must be read whole ({field.Size} bytes at offset {field.Offset})", involved);
            var kind = field.Pointer switch
            {
                ContextPointer.PacketStart => RegisterKind.Packet,
                ContextPointer.PacketEnd => RegisterKind.PacketEnd,
                _ => RegisterKind.PacketMeta,
            };
            return RegisterState.Pointer(kind, pc);
        }

        return RegisterState.FromScalar(size == 8 ? Scalar.Unknown : Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1));
    }

    /// <summary>The legacy packet loads (LD_ABS, LD_IND): socket filters only, with the context in r6; they clobber r1-r5.</summary>
    private VerifierState LegacyPacketLoad(int pc, OpcodeInfo info, Instruction instruction, VerifierState state)
    {
        if (_options.Type.Kind is not (BpfProgramKind.SocketFilter or BpfProgramKind.SchedCls or BpfProgramKind.SchedAct or BpfProgramKind.CgroupSkb))
            throw Reject(DiagnosticCode.InvalidStructure, pc, $"{info.Mnemonic} (a legacy packet load) is only allowed in socket and tc programs");
        if (Read(pc, state, 6).Kind != RegisterKind.Context)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"{info.Mnemonic} needs the context in r6", Describe(6, state[6]));
        if (info.Operation == Operation.LoadPacketIndirect)
            Read(pc, state, instruction.Src);
        for (int r = 1; r <= 5; r++)
            state = state.With(r, RegisterState.Uninitialized);
        return state.With(0, RegisterState.FromScalar(Scalar.UnsignedRange(0, (1UL << (info.AccessSize * 8)) - 1)));
    }
}
