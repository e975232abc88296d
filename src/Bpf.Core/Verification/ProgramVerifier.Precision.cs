using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// Precision, as Linux's <c>mark_chain_precision</c> does it: a scalar's exact value matters only
/// where it decides something (a conditional jump, a pointer's offset, a helper's argument, a return
/// value). There the registers it came from are followed back through the path's instructions to
/// the checkpoints before, which mark them precise. At a checkpoint whose paths have all ended, a
/// scalar not marked precise covers any scalar: counters and flags that only end up in memory no
/// longer keep states apart.
/// </summary>
public sealed partial class ProgramVerifier
{
    private const ushort CallClobbered = 0b11_1111;
    private const ushort CallArguments = 0b11_1110;

    /// <summary>Marks precise the scalars whose values instruction <paramref name="pc"/> is about to depend on.</summary>
    private void DependOnValues(int pc, VerifierState state, Checkpoint? last, HistoryEntry? history)
    {
        var info = _code.InfoAt(pc)!;
        var instruction = _code[pc];
        int dst = instruction.Dst;
        int src = instruction.Src;
        ushort needed = 0;
        switch (info.Class)
        {
            case OpcodeClass.Alu64 when info.UsesSourceRegister && info.Operation is Operation.Add or Operation.Sub:
                if (state[dst].IsPointer && state[src].IsScalar)
                    needed = Bit(src);
                else if (state[src].IsPointer && state[dst].IsScalar)
                    needed = Bit(dst);
                break;
            case OpcodeClass.Alu64 or OpcodeClass.Alu when info.UsesSourceRegister
                && info.Operation is Operation.Div or Operation.Mod or Operation.SDiv or Operation.SMod
                    or Operation.Lsh or Operation.Rsh or Operation.Arsh:
                // The JIT drops guards on what the verifier proved of divisors and shift counts
                // (ProvenFacts), so a state may only be pruned by one that proves the same: the
                // operands' values matter (and the dividend's too for signed overflow).
                needed = Bit(src);
                if (info.Operation is Operation.SDiv or Operation.SMod && state[dst].IsScalar)
                    needed |= Bit(dst);
                if (!state[src].IsScalar)
                    needed &= unchecked((ushort)~Bit(src));
                break;
            case OpcodeClass.Jmp or OpcodeClass.Jmp32:
                if (info.IsConditionalJump)
                {
                    if (state[dst].IsScalar)
                        needed |= Bit(dst);
                    if (info.UsesSourceRegister && state[src].IsScalar)
                        needed |= Bit(src);
                }
                else if (info.Operation is Operation.Call or Operation.CallKfunc or Operation.Callx)
                {
                    for (int r = 1; r <= 5; r++)
                    {
                        if (state[r].IsScalar)
                            needed |= Bit(r);
                    }
                }
                else if (info.Operation == Operation.Exit && state[0].IsScalar)
                {
                    needed = Bit(0);
                }

                break;
            case OpcodeClass.Ld when info.Operation != Operation.LoadImm64:
                needed = (ushort)(info.UsesSourceRegister ? Bit(src) : 0);
                break;
        }

        if (needed == 0)
            return;

        Span<ushort> registers = stackalloc ushort[MaxFrames];
        Span<ulong> slots = stackalloc ulong[MaxFrames];
        int frame = state.Frames.Length - 1;
        registers[frame] = needed;
        AddLinkedScalars(state, frame, needed, registers, slots);
        MarkPrecise(registers, slots, last, history);
    }

    /// <summary>Scalars sharing an id with a needed one learn from the same checks: they are needed too.</summary>
    private static void AddLinkedScalars(VerifierState state, int frame, ushort needed, Span<ushort> registers, Span<ulong> slots)
    {
        Span<int> ids = stackalloc int[Registers.Count];
        int count = 0;
        for (int r = 0; r < Registers.Count; r++)
        {
            if ((needed & Bit(r)) != 0 && state.Frames[frame][r] is { IsScalar: true, Id: not 0 } linked)
                ids[count++] = linked.Id;
        }

        if (count == 0)
            return;
        ids = ids[..count];
        for (int f = 0; f < state.Frames.Length; f++)
        {
            var each = state.Frames[f];
            for (int r = 0; r < Registers.Count; r++)
            {
                if (each[r].IsScalar && ids.Contains(each[r].Id))
                    registers[f] |= Bit(r);
            }

            for (int slot = 0; slot < StackState.FrameSize / 8; slot++)
            {
                if (each.Stack.SpillAt(slot * 8 - StackState.FrameSize) is { IsScalar: true } spilled && ids.Contains(spilled.Id))
                    slots[f] |= 1UL << slot;
            }
        }
    }

    /// <summary>
    /// The values of <paramref name="registers"/> and <paramref name="slots"/> (per frame) at the
    /// current point of the path are needed exactly: follows them back through
    /// <paramref name="history"/> and the checkpoints before, marking each checkpoint.
    /// </summary>
    private void MarkPrecise(Span<ushort> registers, Span<ulong> slots, Checkpoint? last, HistoryEntry? history)
    {
        var entry = history;
        var checkpoint = last;
        while (true)
        {
            for (; entry is not null; entry = entry.Previous)
            {
                if (!Backtrack(entry, registers, slots))
                {
                    MarkEverythingPrecise(checkpoint);
                    return;
                }

                if (IsEmpty(registers, slots))
                    return;
            }

            if (checkpoint is null)
                return;

            // What the checkpoint already had marked was followed further up when it was marked.
            bool fresh = false;
            for (int f = 0; f < MaxFrames; f++)
            {
                registers[f] &= (ushort)~checkpoint.PreciseRegisters[f];
                slots[f] &= ~checkpoint.PreciseSlots[f];
                checkpoint.PreciseRegisters[f] |= registers[f];
                checkpoint.PreciseSlots[f] |= slots[f];
                fresh |= registers[f] != 0 || slots[f] != 0;
            }

            if (!fresh)
                return;
            entry = checkpoint.History;
            checkpoint = checkpoint.Parent;
        }
    }

    /// <summary>When an instruction cannot be followed back, every value up the path counts as needed.</summary>
    private static void MarkEverythingPrecise(Checkpoint? checkpoint)
    {
        for (; checkpoint is not null; checkpoint = checkpoint.Parent)
        {
            if (checkpoint.PreciseRegisters[0] == ushort.MaxValue && checkpoint.PreciseSlots[0] == ulong.MaxValue)
                return;
            checkpoint.PreciseRegisters.AsSpan().Fill(ushort.MaxValue);
            checkpoint.PreciseSlots.AsSpan().Fill(ulong.MaxValue);
        }
    }

    private static bool IsEmpty(Span<ushort> registers, Span<ulong> slots)
    {
        for (int f = 0; f < MaxFrames; f++)
        {
            if (registers[f] != 0 || slots[f] != 0)
                return false;
        }

        return true;
    }

    /// <summary>
    /// Moves the needed values from after <paramref name="entry"/>'s instruction to before it: a
    /// register computed from others needs them, a register loaded from a stack slot needs the slot,
    /// a slot stored from a register needs the register. False when the instruction's stack use
    /// could not be attributed to one frame.
    /// </summary>
    private bool Backtrack(HistoryEntry entry, Span<ushort> registers, Span<ulong> slots)
    {
        var info = _code.InfoAt(entry.Pc)!;
        var instruction = _code[entry.Pc];
        int f = entry.Frame;
        ushort dst = Bit(instruction.Dst);
        ushort src = info.UsesSourceRegister ? Bit(instruction.Src) : (ushort)0;
        switch (info.Class)
        {
            case OpcodeClass.Alu or OpcodeClass.Alu64:
                if ((registers[f] & dst) == 0)
                    return true;
                if (info.Operation is Operation.Mov or Operation.MovSx or Operation.AddressSpaceCast)
                    registers[f] &= (ushort)~dst;
                registers[f] |= src;
                return true;
            case OpcodeClass.Ld:
                registers[f] &= (ushort)~(info.Operation == Operation.LoadImm64 ? dst : Bit(0));
                return true;
            case OpcodeClass.Ldx:
                if ((registers[f] & dst) == 0)
                    return true;
                registers[f] &= (ushort)~dst;
                if (entry.ReadFrame == -2)
                    return false;
                if (entry.ReadFrame >= 0)
                    slots[entry.ReadFrame] |= entry.ReadSlots;
                return true;
            case OpcodeClass.St or OpcodeClass.Stx:
                if (info.IsAtomic)
                {
                    // The results of atomics are unknown numbers: nothing before them decided them.
                    if (info.Fetch)
                        registers[f] &= (ushort)~src;
                    if (info.Operation == Operation.AtomicCmpXchg)
                        registers[f] &= (ushort)~Bit(0);
                    return StackWritten(entry, registers, slots, 0);
                }

                return StackWritten(entry, registers, slots, info.Class == OpcodeClass.Stx ? src : (ushort)0);
            default:
                if (info.Operation is Operation.Call or Operation.CallKfunc or Operation.CallLocal or Operation.Callx)
                {
                    // Before the call: the callee's arguments came from the caller's r1-r5, and the
                    // callee's frame did not exist. The helper's outputs in memory are unknown numbers.
                    registers[f] &= unchecked((ushort)~CallClobbered);
                    for (int g = f + 1; g < MaxFrames; g++)
                    {
                        if (g == f + 1)
                            registers[f] |= (ushort)(registers[g] & CallArguments);
                        registers[g] = 0;
                        slots[g] = 0;
                    }

                    return StackWritten(entry, registers, slots, 0);
                }

                if (info.Operation == Operation.Exit && f > 0)
                {
                    // After a return the caller's r0 is the result (needed exactly at the exit
                    // already) and r1-r5 are clobbered.
                    registers[f - 1] &= unchecked((ushort)~CallClobbered);
                }

                return true;
        }
    }

    /// <summary>A store to needed stack slots: slots written whole no longer need what came before, and the stored register is needed.</summary>
    private static bool StackWritten(HistoryEntry entry, Span<ushort> registers, Span<ulong> slots, ushort stored)
    {
        if (entry.WriteFrame == -1)
            return true;
        if (entry.WriteFrame == -2)
        {
            for (int g = 0; g < MaxFrames; g++)
            {
                if ((slots[g] & entry.WriteSlots) != 0)
                    return false;
            }

            return true;
        }

        int frame = entry.WriteFrame;
        if ((slots[frame] & entry.WriteSlots) == 0)
            return true;
        slots[frame] &= ~entry.WholeSlots;
        registers[entry.Frame] |= stored;
        return true;
    }

    private static ushort Bit(int register) => (ushort)(1 << register);
}
