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

    /// <summary>
    /// Marks precise the scalars whose values instruction <paramref name="pc"/> depends on, as
    /// Linux does: a pointer's offset, a helper argument the verifier checks by value (sizes,
    /// constants, null), every scalar argument of a kfunc, the return value where the program type
    /// or a callback restricts it, and the operands of a conditional jump whose outcome the known
    /// ranges decided (<paramref name="forked"/> false). A jump that explored both ways needs no
    /// exact values: a pruned path takes whichever way its values lead, and both were proven safe.
    /// Called after the instruction ran, with the state and history from before it.
    /// </summary>
    private void DependOnValues(int pc, VerifierState state, Checkpoint? last, int history, bool forked)
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
                    // Both ways explored: nothing needed here (what the comparison taught the
                    // operands and their copies is followed back from where it is needed, through
                    // the links the history keeps: LinksAt).
                    if (forked)
                        break;
                    if (state[dst].IsScalar)
                        needed |= Bit(dst);
                    if (info.UsesSourceRegister && state[src].IsScalar)
                        needed |= Bit(src);
                }
                else if (info.Operation is Operation.Call or Operation.CallKfunc or Operation.Callx)
                {
                    ushort arguments = info.Operation == Operation.Call ? HelperArgumentsUsedByValue(instruction.Immediate) : CallArguments;
                    for (int r = 1; r <= 5; r++)
                    {
                        if ((arguments & Bit(r)) != 0 && state[r].IsScalar)
                            needed |= Bit(r);
                    }
                }
                else if (info.Operation == Operation.Exit && state[0].IsScalar
                    && (state.Current.IsCallback || (state.Frames.Length == 1 && Rules.ReturnRange is not null)))
                {
                    // A BPF-to-BPF function's result is followed into its caller instead (Backtrack).
                    needed = Bit(0);
                }

                break;
            case OpcodeClass.Ld when info.Operation != Operation.LoadImm64:
                needed = (ushort)(info.UsesSourceRegister ? Bit(src) : 0);
                break;
        }

        // A lookup that cannot fail because its key is a constant index depends on that constant.
        var constantKey = info.Operation == Operation.Call ? ConstantArrayKey(state, instruction.Immediate, state[1]) : null;
        if (needed == 0 && constantKey is not { Spilled: true })
            return;

        Span<ushort> registers = stackalloc ushort[MaxFrames];
        Span<ulong> slots = stackalloc ulong[MaxFrames];
        int frame = state.Frames.Length - 1;
        registers[frame] = needed;
        if (constantKey is { Spilled: true } key)
            slots[key.Frame] |= 1UL << key.Slot;
        AddLinkedScalars(state, frame, needed, registers, slots);
        MarkPrecise(registers, slots, last, history);
    }

    /// <summary>
    /// The argument registers of helper <paramref name="id"/> whose scalar values the verifier
    /// checks: every one but those the prototype takes as any number (<c>ARG_ANYTHING</c>), except
    /// that a helper with a callback has its flags checked to be 0. Unknown helpers: all.
    /// </summary>
    private static ushort HelperArgumentsUsedByValue(int id)
    {
        if (HelperPrototypes.Find(id) is not { } prototype)
            return CallArguments;
        bool callback = false;
        for (int r = 1; r <= HelperPrototype.MaxArguments; r++)
            callback |= prototype.Argument(r).Kind() == HelperArgument.Function;
        ushort used = 0;
        for (int r = 1; r <= HelperPrototype.MaxArguments; r++)
        {
            var argument = prototype.Argument(r);
            bool anyNumber = argument.Kind() is HelperArgument.DontCare or HelperArgument.Anything && !(callback && r > 1);
            if (!anyNumber)
                used |= Bit(r);
        }

        return used;
    }

    /// <summary>
    /// The scalars a conditional jump at <paramref name="pc"/> that went both ways taught something:
    /// its scalar operands and every register and spilled slot sharing an id with one of them
    /// (copies learn from the same check), or null when the operands have no copies. Kept in the
    /// history entry of the jump, so that following needed values back (Linux's
    /// <c>bt_sync_linked_regs</c>) makes all of them needed when one is.
    /// </summary>
    private Links? LinksAt(int pc, VerifierState state)
    {
        var info = _code.InfoAt(pc)!;
        if (!info.IsConditionalJump)
            return null;
        var instruction = _code[pc];
        bool copies = HasCopies(state, instruction.Dst) || (info.UsesSourceRegister && HasCopies(state, instruction.Src));
        if (!copies)
            return null;
        ushort operands = 0;
        if (state[instruction.Dst].IsScalar)
            operands |= Bit(instruction.Dst);
        if (info.UsesSourceRegister && state[instruction.Src].IsScalar)
            operands |= Bit(instruction.Src);
        var links = new Links(new ushort[MaxFrames], new ulong[MaxFrames]);
        int frame = state.Frames.Length - 1;
        links.Registers[frame] = operands;
        AddLinkedScalars(state, frame, operands, links.Registers, links.Slots);
        return links;
    }

    /// <summary>Per frame, registers and spilled stack slots that learned from the same comparison.</summary>
    private sealed record Links(ushort[] Registers, ulong[] Slots);

    /// <summary>
    /// True when register <paramref name="register"/> of the innermost frame is a scalar whose id
    /// another register or spilled slot (of any frame) shares: a check of it teaches them too. An id
    /// nothing else has any more links nothing (Linux clears such ids before comparing states).
    /// </summary>
    private static bool HasCopies(VerifierState state, int register)
    {
        var value = state[register];
        if (value is not { IsScalar: true, Id: not 0 })
            return false;
        int frames = state.Frames.Length;
        for (int f = 0; f < frames; f++)
        {
            var each = state.Frames[f];
            for (int r = 0; r < Registers.Count; r++)
            {
                if ((f != frames - 1 || r != register) && each[r].IsScalar && each[r].Id == value.Id)
                    return true;
            }

            for (int slot = 0; slot < StackState.FrameSize / 8; slot++)
            {
                if (each.Stack.SpillAt(slot * 8 - StackState.FrameSize) is { IsScalar: true } spilled && spilled.Id == value.Id)
                    return true;
            }
        }

        return false;
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
    private void MarkPrecise(Span<ushort> registers, Span<ulong> slots, Checkpoint? last, int history)
    {
        var entry = history;
        var checkpoint = last;
        while (true)
        {
            for (; entry >= 0; entry = _history[entry].Previous)
            {
                if (!Backtrack(in _history[entry], registers, slots))
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
    private bool Backtrack(in HistoryEntry entry, Span<ushort> registers, Span<ulong> slots)
    {
        var info = _code.InfoAt(entry.Pc)!;
        var instruction = _code[entry.Pc];
        int f = entry.Frame;
        ushort dst = Bit(instruction.Dst);
        // A store's source register is the value stored, though the opcode's source bit is not set for stores.
        ushort src = info.UsesSourceRegister || info.Class == OpcodeClass.Stx ? Bit(instruction.Src) : (ushort)0;
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

                if (info.IsConditionalJump)
                {
                    if (entry.Linked >= 0)
                    {
                        var links = _links[entry.Linked];
                        bool hit = false;
                        for (int g = 0; g < MaxFrames; g++)
                            hit |= (registers[g] & links.Registers[g]) != 0 || (slots[g] & links.Slots[g]) != 0;
                        if (hit)
                        {
                            for (int g = 0; g < MaxFrames; g++)
                            {
                                registers[g] |= links.Registers[g];
                                slots[g] |= links.Slots[g];
                            }
                        }
                    }

                    // What one side learned about a needed register came from the other's value
                    // too (Linux's backtrack_insn: both are needed before the comparison).
                    if (info.UsesSourceRegister && (registers[f] & (dst | src)) != 0)
                        registers[f] |= (ushort)(dst | src);
                    return true;
                }

                if (info.Operation == Operation.Exit && f > 0)
                {
                    // After a return the caller's r0 is the function's r0 (a callback's result is
                    // the helper's, but following it there only marks more) and r1-r5 are clobbered.
                    if ((registers[f - 1] & Bit(0)) != 0)
                        registers[f] |= Bit(0);
                    registers[f - 1] &= unchecked((ushort)~CallClobbered);
                }

                return true;
        }
    }

    /// <summary>A store to needed stack slots: slots written whole no longer need what came before, and the stored register is needed.</summary>
    private static bool StackWritten(in HistoryEntry entry, Span<ushort> registers, Span<ulong> slots, ushort stored)
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
