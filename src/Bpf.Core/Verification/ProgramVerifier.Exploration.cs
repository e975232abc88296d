namespace Bpf.Verification;

/// <summary>
/// The exploration of paths: forks, prune points, loops, the budget, and what makes pruning work
/// on large programs as in Linux: a state covers another only in what the rest of its paths may
/// read (registers live by <see cref="RegisterLiveness"/>, stack slots by read marks gathered as
/// paths run), states are kept only every few jumps, and states that never cover are dropped.
/// </summary>
public sealed partial class ProgramVerifier
{
    /// <summary>Linux's rule for keeping a state at a prune point: at least this many instructions processed since the last one was kept...</summary>
    private const int InstructionsBetweenCheckpoints = 8;

    /// <summary>...and at least this many jumps.</summary>
    private const int JumpsBetweenCheckpoints = 2;

    /// <summary>Linux's eviction rule: a kept state that failed to cover more than n(hits + 1) times is dropped...</summary>
    private const int MissesBeforeEviction = 3;

    /// <summary>...with a larger n for states of iterator loops still being explored (Linux's 64 for its forced checkpoints).</summary>
    private const int MissesBeforeEvictionInIteratorLoops = 64;

    private readonly IdMap _ids = new();

    /// <summary>
    /// Jumps processed on all paths, and the counts when the last state was kept: as in Linux, the
    /// checkpoint rule counts what the whole exploration did since then, so a path taken up after
    /// another keeps a state at its first prune point.
    /// </summary>
    private long _jumps;
    private long _processedAtCheckpoint;
    private long _jumpsAtCheckpoint;

    /// <summary>What one instruction does to a path: where it continues (one or two ways), or that it ended.</summary>
    private readonly record struct Step(int Pc, VerifierState State, int OtherPc = -1, VerifierState? Other = null, bool Ended = false)
    {
        public static Step Next(int pc, VerifierState state) => new(pc, state);

        public static Step Fork(int pc, VerifierState state, int otherPc, VerifierState other) => new(pc, state, otherPc, other);

        public static Step End => new(-1, null!, Ended: true);
    }

    private void Explore()
    {
        var pending = new Stack<PendingPath>();
        var stackUse = new StackUse();
        pending.Push(new PendingPath(0, InitialState(), null, new ulong[MaxFrames], -1));
        while (pending.TryPop(out var path))
        {
            int pc = path.Pc;
            var state = path.State;
            var last = path.Last;
            var written = path.Written;
            var history = path.History;
            while (true)
            {
                if (++_processed > _options.InstructionBudget)
                    throw Reject(DiagnosticCode.TooComplex, pc, $"the program is too complex: verification processed {_options.InstructionBudget:N0} instructions without finishing every path (loops need a bound the verifier can see, or bpf_loop)");

                if (_prunePoint[pc])
                {
                    if (IsCovered(pc, state, last, written, history))
                    {
                        _pruned++;
                        EndPath(last);
                        break;
                    }

                    if (_loopHead[pc] || last is null || (_processed - _processedAtCheckpoint >= InstructionsBetweenCheckpoints && _jumps - _jumpsAtCheckpoint >= JumpsBetweenCheckpoints))
                    {
                        _processedAtCheckpoint = _processed;
                        _jumpsAtCheckpoint = _jumps;
                        last = Remember(pc, state, last, written, history);
                        written = new ulong[MaxFrames];
                        history = -1;
                    }
                }

                _log?.Add($"{pc}: {InstructionText(pc)} ; {Summary(state)}");
                stackUse.Begin(state, last, written);
                StackState.Observer = stackUse;
                var step = Execute(pc, state);
                StackState.Observer = null;
                DependOnValues(pc, state, last, history, forked: step.Other is not null);
                history = AddHistory(stackUse.Record(pc, state.Frames.Length - 1, history, LoadDependsOnStack(pc, step)), step.Other is not null ? LinksAt(pc, state) : null);
                if (_code.InfoAt(pc)!.IsJump)
                    _jumps++;
                if (step.Ended)
                {
                    EndPath(last);
                    break;
                }

                if (step.State.Frames.Length != state.Frames.Length)
                {
                    // A call's new frame (or a frame that ended) starts empty: nothing read there
                    // later comes from before.
                    for (int frame = Math.Min(step.State.Frames.Length, state.Frames.Length); frame < MaxFrames; frame++)
                        written[frame] = ulong.MaxValue;
                }

                if (step.Other is { } other)
                {
                    if (last is not null)
                        last.Branches++;
                    pending.Push(new PendingPath(step.OtherPc, other, last, (ulong[])written.Clone(), history));
                }

                pc = step.Pc;
                state = step.State;
            }
        }
    }

    /// <summary>
    /// False when a load's result is a number that does not depend on the stack's contents: a
    /// narrow read of data or of part of a spilled register gives any value of its width, which no
    /// earlier value decided (only a whole spilled register, or zero bytes, carry a value over).
    /// </summary>
    private bool LoadDependsOnStack(int pc, Step step)
    {
        var info = _code.InfoAt(pc)!;
        if (info.Class != Isa.OpcodeClass.Ldx || info.AccessSize == 8 || step.Ended)
            return true;
        return step.State[_code[pc].Dst] is not { IsScalar: true, IsConstant: false };
    }

    /// <summary>
    /// True when an explored state at <paramref name="pc"/> covers <paramref name="state"/>; rejects
    /// loops that make no progress. A pruned path depends on the stack slots the covering state's
    /// paths read, so those become reads of this path (Linux's propagate_liveness).
    /// </summary>
    private bool IsCovered(int pc, VerifierState state, Checkpoint? last, ulong[] written, int history)
    {
        var checkpoints = _visited[pc];
        if (checkpoints is null || checkpoints.Count == 0)
            return false;

        int frames = state.Frames.Length;
        Span<ushort> liveRegisters = stackalloc ushort[frames];
        for (int f = 0; f < frames; f++)
            liveRegisters[f] = _liveness.LiveAt(f == frames - 1 ? pc : state.Frames[f + 1].ReturnTo);
        Span<ulong> everySlot = stackalloc ulong[frames];
        everySlot.Fill(ulong.MaxValue);
        Span<ushort> everyRegister = stackalloc ushort[frames];
        everyRegister.Fill(ushort.MaxValue);

        for (int i = 0; i < checkpoints.Count; i++)
        {
            var checkpoint = checkpoints[i];
            bool complete = checkpoint.Complete;

            // The read and precise marks are final only once every path from the checkpoint has ended.
            int marked = Math.Min(frames, MaxFrames);
            ReadOnlySpan<ulong> liveSlots = complete ? checkpoint.Read.AsSpan(0, marked) : everySlot;
            ReadOnlySpan<ushort> preciseRegisters = complete ? checkpoint.PreciseRegisters.AsSpan(0, marked) : everyRegister;
            ReadOnlySpan<ulong> preciseSlots = complete ? checkpoint.PreciseSlots.AsSpan(0, marked) : everySlot;
            if (checkpoint.State.Frames.Length != frames || !checkpoint.State.Covers(state, liveRegisters, preciseRegisters, liveSlots, preciseSlots, _ids))
            {
                checkpoint.Misses++;
                int tolerance = complete || !HoldsIterator(checkpoint.State) ? MissesBeforeEviction : MissesBeforeEvictionInIteratorLoops;
                if (checkpoint.Misses > checkpoint.Hits * tolerance + tolerance)
                {
                    // Linux's heuristic: a state that keeps failing to cover is unlikely to start;
                    // dropping it keeps the list short. A finished one's paths are already safe; one
                    // still being explored only serves to see a loop that makes no progress, which
                    // a later state sees as well (a loop that counts through 2^64 values would
                    // otherwise pile one state per round into the list, each compared with every
                    // later round). Iterator loops keep theirs longer, so that they converge.
                    checkpoints[i] = checkpoints[^1];
                    checkpoints.RemoveAt(checkpoints.Count - 1);
                    i--;
                }

                continue;
            }

            checkpoint.Hits++;
            if (complete)
            {
                // The pruned path goes on as the checkpoint's paths did: it depends on what they
                // read and on the exact values they needed (Linux's propagate_liveness and
                // propagate_precision).
                Span<ushort> registers = stackalloc ushort[MaxFrames];
                Span<ulong> slots = stackalloc ulong[MaxFrames];
                for (int f = 0; f < frames; f++)
                {
                    MarkRead(f, checkpoint.Read[f], last, written);
                    registers[f] = checkpoint.PreciseRegisters[f];
                    slots[f] = checkpoint.PreciseSlots[f];
                }

                MarkPrecise(registers, slots, last, history);
                return true;
            }

            // The same state again while its first visit is still being explored: this path is
            // going round a loop. An open-coded iterator bounds the loop itself (the kernel
            // accepts the loop once its state converges); anything else would run forever.
            if (HoldsIterator(state))
            {
                // The loop's marks are not final yet: this path may depend on anything.
                for (int f = 0; f < frames; f++)
                    MarkRead(f, ulong.MaxValue, last, written);
                MarkEverythingPrecise(last);
                return true;
            }

            throw Reject(DiagnosticCode.InfiniteLoop, pc, "infinite loop: the program comes back here with nothing changed that could end the loop");
        }

        return false;
    }

    /// <summary>
    /// The path that has <paramref name="last"/> as its latest checkpoint read <paramref name="slots"/>
    /// of frame <paramref name="frame"/>: every checkpoint up the path learns it, until the slot was
    /// written whole on the way (what was there before cannot matter).
    /// </summary>
    private static void MarkRead(int frame, ulong slots, Checkpoint? last, ulong[] written)
    {
        slots &= ~written[frame];
        for (var checkpoint = last; checkpoint is not null && slots != 0; checkpoint = checkpoint.Parent)
        {
            // Slots already marked here were passed further up when they were marked.
            ulong fresh = slots & ~checkpoint.Read[frame];
            checkpoint.Read[frame] |= fresh;
            slots = fresh & ~checkpoint.WrittenBefore[frame];
        }
    }

    private Checkpoint Remember(int pc, VerifierState state, Checkpoint? last, ulong[] written, int history)
    {
        var checkpoint = new Checkpoint(state, last, written, history);
        var list = _visited[pc] ??= [];
        list.Add(checkpoint);
        _stored++;
        return checkpoint;
    }

    /// <summary>A path ended (exit or pruned): the checkpoints on it have one path fewer to wait for.</summary>
    private static void EndPath(Checkpoint? last)
    {
        for (var checkpoint = last; checkpoint is not null; checkpoint = checkpoint.Parent)
        {
            if (--checkpoint.Branches > 0)
                break;
        }
    }

    private static string Summary(VerifierState state)
    {
        var frame = state.Current;
        var registers = Enumerable.Range(0, frame.Registers.Length)
            .Where(i => frame[i].Kind != RegisterKind.NotInitialized)
            .Select(i => Describe(i, frame[i]));
        return $"{(state.Frames.Length > 1 ? $"frame {state.Frames.Length - 1}: " : "")}{string.Join(", ", registers)}";
    }

    /// <summary>
    /// Gathers the stack slots one instruction reads and writes whole, by frame, for the read marks.
    /// A frame is recognized by its <see cref="StackState"/> instance in the state before the
    /// instruction; a read of any other instance (one the instruction made) counts as a read of
    /// every slot of every frame, and a write that is not unambiguously one frame's is not counted,
    /// so that what cannot be told apart errs towards keeping states apart.
    /// </summary>
    private sealed class StackUse : IStackObserver
    {
        private VerifierState _state = null!;
        private Checkpoint? _last;
        private ulong[] _written = null!;
        private int _readFrame;
        private ulong _readSlots;
        private int _writeFrame;
        private ulong _writeSlots;
        private ulong _wholeSlots;

        public void Begin(VerifierState state, Checkpoint? last, ulong[] written)
        {
            _state = state;
            _last = last;
            _written = written;
            _readFrame = _writeFrame = -1;
            _readSlots = _writeSlots = _wholeSlots = 0;
        }

        /// <summary>
        /// The history entry of the instruction just executed; <paramref name="keepReads"/> false when
        /// its result does not depend on what it read.
        /// </summary>
        public HistoryEntry Record(int pc, int frame, int previous, bool keepReads) =>
            new(pc, frame, keepReads ? _readFrame : -1, keepReads ? _readSlots : 0, _writeFrame, _writeSlots, _wholeSlots, previous, -1);

        public void Read(StackState stack, int offset, int size)
        {
            ulong slots = StackState.SlotsTouched(offset, size);
            int match = FrameOf(stack);
            if (match >= 0)
            {
                MarkRead(match, slots, _last, _written);
                for (int f = match + 1; f < _state.Frames.Length; f++)
                {
                    if (ReferenceEquals(_state.Frames[f].Stack, stack))
                        MarkRead(f, slots, _last, _written);
                }
            }
            else
            {
                for (int f = 0; f < _state.Frames.Length; f++)
                    MarkRead(f, ulong.MaxValue, _last, _written);
            }

            int unique = UniqueFrameOf(stack);
            _readFrame = _readFrame == -1 || _readFrame == unique ? unique : -2;
            _readSlots |= slots;
        }

        public void Written(StackState stack, int offset, int size)
        {
            int unique = UniqueFrameOf(stack);
            ulong whole = StackState.WholeSlots(offset, size);
            if (unique >= 0)
                _written[unique] |= whole;
            _writeFrame = _writeFrame == -1 || _writeFrame == unique ? unique : -2;
            _writeSlots |= StackState.SlotsTouched(offset, size);
            _wholeSlots |= whole;
        }

        public void Spilled(StackState stack, int offset)
        {
            // A narrow spill replaces the slot's register whole: what is compared of the slot's
            // spilled value comes from the stored register alone (its other bytes are data, never precise).
            _wholeSlots |= StackState.SlotsTouched(offset, 1);
        }

        private int FrameOf(StackState stack)
        {
            for (int f = 0; f < _state.Frames.Length; f++)
            {
                if (ReferenceEquals(_state.Frames[f].Stack, stack))
                    return f;
            }

            return -1;
        }

        /// <summary>The one frame whose stack is <paramref name="stack"/>, or -2 when none or several are (an empty frame is shared).</summary>
        private int UniqueFrameOf(StackState stack)
        {
            int match = -2;
            for (int f = 0; f < _state.Frames.Length; f++)
            {
                if (ReferenceEquals(_state.Frames[f].Stack, stack))
                {
                    if (match >= 0)
                        return -2;
                    match = f;
                }
            }

            return match;
        }
    }
}
