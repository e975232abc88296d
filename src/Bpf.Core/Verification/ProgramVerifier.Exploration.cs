namespace Bpf.Verification;

/// <summary>The exploration of paths: forks, prune points, loops, the budget.</summary>
public sealed partial class ProgramVerifier
{
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
        pending.Push(new PendingPath(0, InitialState(), null));
        while (pending.TryPop(out var path))
        {
            int pc = path.Pc;
            var state = path.State;
            var last = path.Last;
            while (true)
            {
                if (++_processed > _options.InstructionBudget)
                    throw Reject(DiagnosticCode.TooComplex, pc, $"the program is too complex: verification processed {_options.InstructionBudget:N0} instructions without finishing every path (loops need a bound the verifier can see, or bpf_loop)");

                if (_prunePoint[pc])
                {
                    if (IsCovered(pc, state))
                    {
                        _pruned++;
                        EndPath(last);
                        break;
                    }

                    last = Remember(pc, state, last);
                }

                _log?.Add($"{pc}: {InstructionText(pc)} ; {Summary(state)}");
                var step = Execute(pc, state);
                if (step.Ended)
                {
                    EndPath(last);
                    break;
                }

                if (step.Other is { } other)
                {
                    if (last is not null)
                        last.Branches++;
                    pending.Push(new PendingPath(step.OtherPc, other, last));
                }

                pc = step.Pc;
                state = step.State;
            }
        }
    }

    /// <summary>True when an explored state at <paramref name="pc"/> covers <paramref name="state"/>; rejects loops that make no progress.</summary>
    private bool IsCovered(int pc, VerifierState state)
    {
        if (!_visited.TryGetValue(pc, out var checkpoints))
            return false;
        foreach (var checkpoint in checkpoints)
        {
            if (!checkpoint.State.Covers(state))
                continue;
            if (checkpoint.Complete)
                return true;

            // The same state again while its first visit is still being explored: this path is
            // going round a loop. An open-coded iterator bounds the loop itself (the kernel
            // accepts the loop once its state converges); anything else would run forever.
            if (HoldsIterator(state))
                return true;
            throw Reject(DiagnosticCode.InfiniteLoop, pc, "infinite loop: the program comes back here with nothing changed that could end the loop");
        }

        return false;
    }

    private Checkpoint Remember(int pc, VerifierState state, Checkpoint? last)
    {
        var checkpoint = new Checkpoint(state, last);
        if (!_visited.TryGetValue(pc, out var list))
            _visited[pc] = list = [];
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
}
