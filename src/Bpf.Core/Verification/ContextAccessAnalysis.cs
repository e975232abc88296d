using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// Finds the loads and stores that go through the program's context pointer, so that the runtime
/// can translate them as Linux does (a 32-bit <c>ctx-&gt;data</c> becomes a real 64-bit pointer). It
/// follows the context from r1 at entry through moves, 8-byte spills to the stack and fills, and
/// calls of subprograms, path by path, and rejects, as Linux does, accesses through a modified
/// context pointer or through a register that holds the context on some paths only.
/// </summary>
/// <remarks>
/// This is the part of register-type tracking that context translation needs. Spills through
/// anything but the frame pointer (or a register derived from it by a constant) are not followed.
/// </remarks>
public static class ContextAccessAnalysis
{
    /// <summary>The slots of the loads and stores whose address is the context pointer plus a constant.</summary>
    /// <exception cref="ContextAccessException">An access goes through a modified context pointer, or through one that is the context only on some paths.</exception>
    public static IReadOnlySet<int> FindContextAccesses(Bytecode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var analysis = new Analyzer(code);
        analysis.Run();
        return analysis.ContextAccesses;
    }

    private enum Kind : byte
    {
        Unreached,
        Other,
        Context,
        ModifiedContext,
        MaybeContext,
        Stack,
    }

    /// <summary>What a register or spilled slot holds, as far as the context is concerned.</summary>
    private readonly record struct Value(Kind Kind, int Offset = 0)
    {
        public static readonly Value Other = new(Kind.Other);

        public bool InvolvesContext => Kind is Kind.Context or Kind.ModifiedContext or Kind.MaybeContext;

        public static Value Join(Value a, Value b)
        {
            if (a.Kind == Kind.Unreached)
                return b;
            if (b.Kind == Kind.Unreached || a == b)
                return a;
            return a.InvolvesContext || b.InvolvesContext ? new Value(Kind.MaybeContext) : Other;
        }
    }

    /// <summary>Registers and the spilled stack slots that hold something other than <see cref="Value.Other"/>.</summary>
    private sealed class State
    {
        public readonly Value[] Registers = new Value[Isa.Registers.Count];
        public SortedDictionary<int, Value> Slots = new();

        public State Clone()
        {
            var copy = new State();
            Array.Copy(Registers, copy.Registers, Registers.Length);
            copy.Slots = new SortedDictionary<int, Value>(Slots);
            return copy;
        }

        /// <summary>Joins <paramref name="other"/> into this state; true if anything changed.</summary>
        public bool JoinWith(State other)
        {
            bool changed = false;
            for (int r = 0; r < Registers.Length; r++)
            {
                var joined = Value.Join(Registers[r], other.Registers[r]);
                changed |= joined != Registers[r];
                Registers[r] = joined;
            }

            foreach (int offset in Slots.Keys.Union(other.Slots.Keys).ToList())
            {
                var mine = Slots.GetValueOrDefault(offset, Value.Other);
                var theirs = other.Slots.GetValueOrDefault(offset, Value.Other);
                var joined = Value.Join(mine, theirs);
                if (joined != mine)
                    changed = true;
                if (joined == Value.Other)
                    Slots.Remove(offset);
                else
                    Slots[offset] = joined;
            }

            return changed;
        }
    }

    private sealed class Analyzer(Bytecode code)
    {
        private readonly State?[] _states = new State?[code.Length];
        private readonly State?[] _entries = new State?[code.Functions.Count];
        private readonly Queue<int> _work = new();

        public HashSet<int> ContextAccesses { get; } = [];

        public void Run()
        {
            var main = new State();
            Array.Fill(main.Registers, Value.Other);
            main.Registers[1] = new Value(Kind.Context);
            main.Registers[Isa.Registers.FramePointer] = new Value(Kind.Stack);
            EnterFunction(0, main);

            // Functions only reached as callbacks (their address loaded) get no context.
            foreach (var function in code.Functions.Where(f => f.IsAddressTaken))
            {
                var callback = new State();
                Array.Fill(callback.Registers, Value.Other);
                callback.Registers[Isa.Registers.FramePointer] = new Value(Kind.Stack);
                EnterFunction(function.Index, callback);
            }

            while (_work.Count > 0)
            {
                int pc = _work.Dequeue();
                Step(pc, _states[pc]!.Clone());
            }
        }

        private void EnterFunction(int function, State arguments)
        {
            var entry = new State();
            Array.Fill(entry.Registers, Value.Other);
            for (int r = Isa.Registers.FirstArgument; r < Isa.Registers.FirstArgument + Isa.Registers.ArgumentCount; r++)
                entry.Registers[r] = arguments.Registers[r];
            entry.Registers[Isa.Registers.FramePointer] = new Value(Kind.Stack);

            if (_entries[function] is null)
                _entries[function] = entry;
            else if (!_entries[function]!.JoinWith(entry))
                return;
            Flow(code.Functions[function].Start, _entries[function]!);
        }

        private void Flow(int pc, State state)
        {
            if (_states[pc] is null)
                _states[pc] = state.Clone();
            else if (!_states[pc]!.JoinWith(state))
                return;
            _work.Enqueue(pc);
        }

        private void Step(int pc, State state)
        {
            var insn = code[pc];
            var info = code.InfoAt(pc)!;
            var r = state.Registers;
            int next = pc + info.SlotCount;

            switch (info.Operation)
            {
                case Operation.Mov when info.Is64 && info.UsesSourceRegister:
                    r[insn.Dst] = r[insn.Src];
                    break;
                case Operation.Add or Operation.Sub when info.Is64:
                {
                    var dst = r[insn.Dst];
                    var src = info.UsesSourceRegister ? r[insn.Src] : Value.Other;
                    if (dst.InvolvesContext || src.InvolvesContext)
                        r[insn.Dst] = new Value(Kind.ModifiedContext);
                    else if (dst.Kind == Kind.Stack && !info.UsesSourceRegister)
                        r[insn.Dst] = dst with { Offset = info.Operation == Operation.Add ? dst.Offset + insn.Immediate : dst.Offset - insn.Immediate };
                    else
                        r[insn.Dst] = Value.Other;
                    break;
                }

                case Operation.Mov or Operation.MovSx or Operation.AddressSpaceCast:
                    r[insn.Dst] = Value.Other; // overwritten by a constant, a 32-bit copy or a sign extension
                    break;

                case <= Operation.Swap:
                    // Any other arithmetic on the context pointer leaves a pointer Linux will not dereference.
                    r[insn.Dst] = r[insn.Dst].InvolvesContext ? new Value(Kind.ModifiedContext) : Value.Other;
                    break;

                case Operation.Load or Operation.LoadSx:
                {
                    var address = r[insn.Src];
                    CheckAccess(pc, address);
                    r[insn.Dst] = address.Kind == Kind.Stack && info.AccessSize == 8 && info.Operation == Operation.Load
                        ? state.Slots.GetValueOrDefault(address.Offset + insn.Offset, Value.Other)
                        : Value.Other;
                    break;
                }

                case Operation.Store or Operation.StoreImm:
                {
                    var address = r[insn.Dst];
                    CheckAccess(pc, address);
                    if (address.Kind == Kind.Stack)
                    {
                        int at = address.Offset + insn.Offset;
                        Forget(state, at, info.AccessSize);
                        if (info.Operation == Operation.Store && info.AccessSize == 8 && r[insn.Src] != Value.Other)
                            state.Slots[at] = r[insn.Src];
                    }

                    break;
                }

                case >= Operation.AtomicAdd and <= Operation.StoreRelease:
                {
                    int baseRegister = info.Operation == Operation.LoadAcquire ? insn.Src : insn.Dst;
                    var address = r[baseRegister];
                    if (address.InvolvesContext)
                        throw new ContextAccessException(pc, "atomic operations on the context are not allowed");
                    if (address.Kind == Kind.Stack && info.Operation != Operation.LoadAcquire)
                        Forget(state, address.Offset + insn.Offset, info.AccessSize);
                    if (info.Operation == Operation.LoadAcquire)
                        r[insn.Dst] = Value.Other;
                    else if (info.Operation == Operation.AtomicCmpXchg)
                        r[0] = Value.Other;
                    else if (info.Fetch)
                        r[insn.Src] = Value.Other;
                    break;
                }

                case Operation.LoadImm64:
                    r[insn.Dst] = Value.Other;
                    break;

                case Operation.LoadPacketAbsolute or Operation.LoadPacketIndirect:
                case Operation.Call or Operation.CallKfunc or Operation.Callx:
                    Clobber(r);
                    break;

                case Operation.CallLocal:
                    EnterFunction(code.FunctionStartingAt((int)info.TargetOf(insn, pc)!.Value)!.Index, state);
                    Clobber(r);
                    break;

                case Operation.Exit:
                    return;

                case Operation.Ja or Operation.Ja32:
                    Flow((int)info.TargetOf(insn, pc)!.Value, state);
                    return;

                case >= Operation.Jeq and <= Operation.Jsle:
                    Flow((int)info.TargetOf(insn, pc)!.Value, state);
                    break;
            }

            if (next < code.Length)
                Flow(next, state);
        }

        private void CheckAccess(int pc, Value address)
        {
            switch (address.Kind)
            {
                case Kind.Context:
                    ContextAccesses.Add(pc);
                    break;
                case Kind.ModifiedContext:
                    throw new ContextAccessException(pc, "access through a modified context pointer: the context may only be accessed at a constant offset from the pointer the program received");
                case Kind.MaybeContext:
                    throw new ContextAccessException(pc, "the base register holds the context on some paths and something else on others; the same instruction cannot access both");
            }
        }

        private static void Forget(State state, int offset, int size)
        {
            foreach (int slot in state.Slots.Keys.Where(s => s < offset + size && offset < s + 8).ToList())
                state.Slots.Remove(slot);
        }

        private static void Clobber(Value[] r)
        {
            r[0] = Value.Other;
            for (int i = Isa.Registers.FirstArgument; i < Isa.Registers.FirstArgument + Isa.Registers.ArgumentCount; i++)
                r[i] = Value.Other;
        }
    }
}
