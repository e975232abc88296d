using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>Conditional jumps: which sides are possible, and what each side learns.</summary>
public sealed partial class ProgramVerifier
{
    private Step Branch(int pc, OpcodeInfo info, Instruction instruction, VerifierState state, int target)
    {
        int dst = instruction.Dst;
        var left = Read(pc, state, dst);
        var right = info.UsesSourceRegister ? Read(pc, state, instruction.Src) : RegisterState.Constant((ulong)(long)instruction.Immediate);
        int src = info.UsesSourceRegister ? instruction.Src : -1;

        if (left.IsScalar && right.IsScalar)
        {
            var taken = ScalarComparisons.IsTaken(info, left.Value, right.Value);
            if (taken == true)
                return Step.Next(target, state);
            if (taken == false)
                return Step.Next(pc + 1, state);
            var (takenLeft, takenRight) = ScalarComparisons.Refine(info, left.Value, right.Value, taken: true);
            var (fallLeft, fallRight) = ScalarComparisons.Refine(info, left.Value, right.Value, taken: false);
            var onTaken = Learn(Learn(state, dst, left, takenLeft), src, right, takenRight);
            var onFall = Learn(Learn(state, dst, left, fallLeft), src, right, fallRight);
            if (src >= 0 && info.Is64)
                (onTaken, onFall) = LearnBelowLength(info.Operation, state, dst, left, src, right, onTaken, onFall);
            return Step.Fork(pc + 1, onFall, target, onTaken);
        }

        // A pointer against zero: a null check.
        bool againstZero = right.IsConstant && right.Value.ConstantValue == 0 || left.IsConstant && left.Value.ConstantValue == 0;
        if (againstZero && info.Operation is Operation.Jeq or Operation.Jne && info.Is64)
        {
            var (pointer, register) = left.IsPointer ? (left, dst) : (right, src);
            if (!pointer.MaybeNull && pointer.Kind != RegisterKind.Arena)
            {
                // A valid pointer is never null.
                return Step.Next(info.Operation == Operation.Jeq ? pc + 1 : target, state);
            }

            var isNull = ResolveNull(state, pointer, isNull: true);
            var notNull = ResolveNull(state, pointer, isNull: false);
            _ = register;
            return info.Operation == Operation.Jeq
                ? Step.Fork(pc + 1, notNull, target, isNull)
                : Step.Fork(pc + 1, isNull, target, notNull);
        }

        // A packet pointer against the end of the packet: the side where it is not past the end
        // proves the bytes before it readable.
        if (info.Is64 && IsPacketCheck(left, right, out var packet, out bool packetOnLeft))
        {
            var (onTaken, onFall) = PacketBounds(info.Operation, packetOnLeft);
            var takenState = onTaken ? ProveRange(state, packet) : state;
            var fallState = onFall ? ProveRange(state, packet) : state;
            return Step.Fork(pc + 1, fallState, target, takenState);
        }

        if (Strict && left.IsPointer != right.IsPointer)
            throw RejectStrict(DiagnosticCode.PointerLeak, pc, "comparing a pointer with a number leaks the pointer's value", Describe(dst, left), Describe(src, right));
        bool packets = left.Kind is RegisterKind.Packet or RegisterKind.PacketEnd or RegisterKind.PacketMeta
            && right.Kind is RegisterKind.Packet or RegisterKind.PacketEnd or RegisterKind.PacketMeta;
        if (Strict && left.IsPointer && right.IsPointer && !packets && (left.Kind != right.Kind || left.Frame != right.Frame || !ReferenceEquals(left.Map, right.Map)))
            throw RejectStrict(DiagnosticCode.PointerLeak, pc, "comparing pointers into different memory reveals where that memory is", Describe(dst, left), Describe(src, right));

        return Step.Fork(pc + 1, state, target, state);
    }

    /// <summary>The state after <paramref name="register"/> (and every scalar linked to it) was narrowed to <paramref name="value"/>.</summary>
    private static VerifierState Learn(VerifierState state, int register, RegisterState before, Scalar value)
    {
        if (register < 0)
            return state;
        if (before.Id == 0)
            return state.With(register, before with { Value = value });

        // Copies of the scalar learn the same; so does the size of memory the scalar measures.
        state = state.WithEachRegister((before.Id, value), static (r, learnt) => r.IsScalar && r.Id == learnt.Id ? r with { Value = learnt.value } : r);

        if (state.ProvenSizes.ContainsKey(before.Id) && value.UMin > (ulong)state.ProvenSize(before.Id))
            state = state with { ProvenSizes = state.ProvenSizes.SetItem(before.Id, (long)Math.Min(value.UMin, int.MaxValue)) };
        return state;
    }

    /// <summary>
    /// A comparison of a scalar with a length scalar (one that sizes input memory): the side where
    /// the scalar is (unsigned) less than the length marks it, so it may index the memory.
    /// </summary>
    private static (VerifierState OnTaken, VerifierState OnFall) LearnBelowLength(Operation operation, VerifierState state,
        int dst, RegisterState left, int src, RegisterState right, VerifierState onTaken, VerifierState onFall)
    {
        bool rightIsLength = right.Id != 0 && state.ProvenSizes.ContainsKey(right.Id);
        bool leftIsLength = left.Id != 0 && state.ProvenSizes.ContainsKey(left.Id);
        if (rightIsLength && !leftIsLength)
        {
            // dst < length on the taken side of jlt and the fall-through side of jge.
            if (operation == Operation.Jlt)
                onTaken = MarkBelow(onTaken, dst, right.Id);
            else if (operation == Operation.Jge)
                onFall = MarkBelow(onFall, dst, right.Id);
        }
        else if (leftIsLength && !rightIsLength)
        {
            // length > src on the taken side of jgt; length <= src falls through otherwise.
            if (operation == Operation.Jgt)
                onTaken = MarkBelow(onTaken, src, left.Id);
            else if (operation == Operation.Jle)
                onFall = MarkBelow(onFall, src, left.Id);
        }

        return (onTaken, onFall);
    }

    private static VerifierState MarkBelow(VerifierState state, int register, int length)
    {
        var value = state[register];
        if (value.Id == 0)
            return state.With(register, value with { Below = length });
        return state.WithEachRegister((value.Id, length), static (r, below) => r.IsScalar && r.Id == below.Id ? r with { Below = below.length } : r);
    }

    /// <summary>The state on the side of a null check where <paramref name="pointer"/> is (not) null: every copy of it learns.</summary>
    private static VerifierState ResolveNull(VerifierState state, RegisterState pointer, bool isNull)
    {
        state = state.WithEachRegister((pointer.Id, isNull), static (r, check) =>
            !(r.IsPointer && r.MaybeNull && r.Id == check.Id) ? r : check.isNull ? NullPointer : r with { MaybeNull = false });

        // A reservation that was null holds nothing to release.
        if (isNull && state.References.ContainsKey(pointer.Id))
            state = state with { References = state.References.Remove(pointer.Id) };
        return state;
    }

    /// <summary>What a pointer is on the side of a null check where it is null: the number 0.</summary>
    private static readonly RegisterState NullPointer = RegisterState.Constant(0);

    private static bool IsPacketCheck(RegisterState left, RegisterState right, out RegisterState packet, out bool packetOnLeft)
    {
        packetOnLeft = left.Kind == RegisterKind.Packet && right.Kind == RegisterKind.PacketEnd;
        bool packetOnRight = right.Kind == RegisterKind.Packet && left.Kind == RegisterKind.PacketEnd;
        packet = packetOnLeft ? left : right;
        return packetOnLeft || packetOnRight;
    }

    /// <summary>On which sides of a comparison between a packet pointer and <c>data_end</c> the pointer is at most the end.</summary>
    private static (bool OnTaken, bool OnFall) PacketBounds(Operation operation, bool packetOnLeft) => (operation, packetOnLeft) switch
    {
        (Operation.Jgt or Operation.Jge, true) => (false, true),   // if (pkt > end) ... else: pkt <= end
        (Operation.Jlt or Operation.Jle, true) => (true, false),   // if (pkt < end): pkt <= end
        (Operation.Jgt or Operation.Jge, false) => (true, false),  // if (end > pkt)
        (Operation.Jlt or Operation.Jle, false) => (false, true),  // if (end < pkt) ... else
        _ => (false, false),
    };

    /// <summary>
    /// <paramref name="packet"/> is at most <c>data_end</c>: every packet pointer of the same
    /// origin may read up to its offset (Linux's find_good_pkt_pointers).
    /// </summary>
    private static VerifierState ProveRange(VerifierState state, RegisterState packet)
    {
        if (packet.Offset < 0)
            return state;
        return state.WithEachRegister((packet.Id, packet.Offset), static (r, end) =>
            r.Kind == RegisterKind.Packet && r.Id == end.Id && r.Range < end.Offset ? r with { Range = end.Offset } : r);
    }
}
