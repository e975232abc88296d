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
                var kind = info.Operation switch
                {
                    Operation.LoadSx => ContextAccessKind.SignExtendingLoad,
                    Operation.LoadAcquire => ContextAccessKind.Atomic,
                    _ => ContextAccessKind.Load,
                };
                var (after, loaded) = Access(pc, state, instruction.Src, pointer, instruction.Offset, size, kind, stored: null);
                if (info.Operation == Operation.LoadSx && loaded.IsScalar)
                    loaded = RegisterState.FromScalar(loaded.Value.SignExtend(size * 8));
                return after.With(instruction.Dst, loaded with { Origin = loaded.IsPointer ? loaded.Origin : pc });
            }

            case Operation.Store or Operation.StoreRelease:
            {
                var pointer = Read(pc, state, instruction.Dst);
                var value = Read(pc, state, instruction.Src);
                var kind = info.Operation == Operation.StoreRelease ? ContextAccessKind.Atomic : ContextAccessKind.Store;
                return Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, kind, stored: value).State;
            }

            case Operation.StoreImm:
            {
                var pointer = Read(pc, state, instruction.Dst);
                return Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, ContextAccessKind.Store,
                    stored: RegisterState.Constant((ulong)(long)instruction.Immediate)).State;
            }

            default:
            {
                // Atomic read-modify-write: the memory is read and written, aligned, never the context or the packet.
                var pointer = Read(pc, state, instruction.Dst);
                var value = Read(pc, state, instruction.Src);
                if (value.IsPointer && Strict)
                    throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"an atomic operation with pointer r{instruction.Src} stores its value as a number", Describe(instruction.Src, value));
                CheckArenaAtomic(pc, info, instruction.Dst, pointer);
                if (info.Operation == Operation.AtomicCmpXchg)
                    Read(pc, state, 0);
                CheckAtomicOnStack(pc, state, instruction.Dst, pointer, instruction.Offset, size);
                var (after, _) = Access(pc, state, instruction.Dst, pointer, instruction.Offset, size, ContextAccessKind.Atomic, stored: null);
                after = Access(pc, after, instruction.Dst, pointer, instruction.Offset, size, ContextAccessKind.Atomic, stored: RegisterState.UnknownScalar).State;
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
    /// it and, for a read, what was read. <paramref name="stored"/> is the value written, null for
    /// reads; <paramref name="kind"/> tells loads, sign-extending loads, stores and atomic operations
    /// (read-modify-write, load-acquire, store-release) apart. Helpers' memory arguments pass
    /// <paramref name="helperArgument"/>: Linux checks their bounds but not their alignment.
    /// </summary>
    private (VerifierState State, RegisterState Loaded) Access(int pc, VerifierState state, int register, RegisterState pointer, short offset,
        int size, ContextAccessKind kind, RegisterState? stored, bool helperArgument = false)
    {
        string Involved() => Describe(register, pointer);
        bool write = stored is not null;
        bool atomic = kind == ContextAccessKind.Atomic;
        if (pointer.IsScalar)
            throw Reject(DiagnosticCode.NotAPointer, pc, $"r{register} is a number, not a pointer: memory cannot be accessed through it", Involved());
        if (pointer.MaybeNull)
        {
            throw Reject(DiagnosticCode.PossiblyNull, pc,
                $"r{register} may be null here: it came from {OriginText(pointer)} and was not checked against 0", Involved());
        }

        NoteAccess(pc, register, pointer);
        if (atomic && pointer.Kind is RegisterKind.Context or RegisterKind.Packet or RegisterKind.PacketMeta)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"atomic operations on {pointer.Kind} memory are not allowed", Involved());
        if (write && stored is { IsPointer: true } && Strict && pointer.Kind is not (RegisterKind.Stack or RegisterKind.Context))
            throw RejectStrict(DiagnosticCode.PointerLeak, pc, "storing a pointer into memory the host can read leaks its value", Involved());
        if (!helperArgument)
            CheckAlignment(pc, register, pointer, offset, size, atomic);

        var unknown = UnknownOfSize(size);
        switch (pointer.Kind)
        {
            case RegisterKind.Stack:
                return StackAccess(pc, state, register, pointer, offset, size, write, stored, atomic);

            case RegisterKind.MapValue:
                if (write && pointer.ReadOnly)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, $"a write into map {pointer.Map?.Name}, which programs may only read", Involved());
                CheckRange(pc, register, pointer, offset, size, pointer.Size);
                CheckNotSpinLock(pc, register, pointer, offset, size);
                return (state, unknown);

            case RegisterKind.Memory:
            {
                long bound = pointer.Size >= 0 ? pointer.Size : state.ProvenSize(pointer.Id);
                if (write && pointer.ReadOnly)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, "a write into read-only memory", Involved());
                // p = input + i with i < length: the byte at p itself is inside.
                bool indexed = pointer.Below != 0 && pointer.Below == pointer.Id && pointer.Value.SMin >= 0 && pointer.Offset + offset == 0 && size == 1;
                if (!indexed)
                    CheckRange(pc, register, pointer, offset, size, bound);
                return (state, unknown);
            }

            case RegisterKind.Packet:
            {
                if (write && !PacketWritable)
                    throw Reject(DiagnosticCode.ReadOnlyWrite, pc, $"{_options.Type.Name} programs may not write the packet", Involved());
                if (pointer.Value.SMin < 0)
                    throw Reject(DiagnosticCode.OutOfBounds, pc, $"r{register}'s variable offset may be negative", Involved());
                long start = pointer.Offset + offset;
                if (start < 0 || start + size > pointer.Range)
                {
                    throw Reject(DiagnosticCode.OutOfBounds, pc,
                        $"packet access of {size} bytes at offset {start} from r{register}, but only {pointer.Range} bytes are proven to be in the packet (compare a pointer against data_end first)",
                        Involved());
                }

                return (state, unknown);
            }

            case RegisterKind.Context:
                return (state, ContextAccess(pc, register, pointer, offset, size, kind, stored));

            case RegisterKind.Arena:
                return ArenaAccess(state, size);

            default:
                throw Reject(DiagnosticCode.NotAPointer, pc, $"r{register} ({pointer.Kind}) cannot be dereferenced", Involved());
        }
    }

    /// <summary>Linux's <c>may_access_direct_pkt_data</c> for writes.</summary>
    private bool PacketWritable => Rules.PacketAccess == PacketAccess.ReadWrite;

    private static string OriginText(RegisterState pointer) => pointer.Origin >= 0 ? $"instruction {pointer.Origin}" : "a helper";

    /// <summary>Every byte the access may touch, over the pointer's whole variable range, must lie in [0, <paramref name="bound"/>).</summary>
    private void CheckRange(int pc, int register, RegisterState pointer, short offset, int size, long bound)
    {
        long fixedStart = (long)pointer.Offset + offset;
        long low = fixedStart + pointer.Value.SMin;
        long high = pointer.Value.SMax > int.MaxValue ? long.MaxValue : fixedStart + pointer.Value.SMax + size;
        if (pointer.Value.SMin < -MaxPointerOffset || low < 0 || high > bound)
        {
            string range = pointer.Value.IsConstant ? $"offset {fixedStart + (long)pointer.Value.ConstantValue}" : $"offsets {low} to {(high == long.MaxValue ? "unbounded" : (high - size).ToString(System.Globalization.CultureInfo.InvariantCulture))}";
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"access of {size} bytes at {range} of {RegionText(pointer, bound)}", Describe(register, pointer));
        }
    }

    /// <summary>What a map value or memory pointer points into, for diagnostics (built only when one is reported).</summary>
    private static string RegionText(RegisterState pointer, long bound) => pointer switch
    {
        { Kind: RegisterKind.MapValue } => $"the {pointer.Size}-byte value of map {pointer.Map?.Name}",
        { Size: >= 0 } => $"the {pointer.Size}-byte memory",
        _ => $"the input memory, of which {bound} bytes are proven to exist here (check the length first)",
    };

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
