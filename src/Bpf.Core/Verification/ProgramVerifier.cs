using System.Buffers;
using System.Collections.Immutable;
using Bpf.Isa;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Verification;

/// <summary>
/// Proves a program safe by abstract interpretation in the style of the Linux verifier: every
/// path is followed from the entry with what is known of each register and stack byte; branches
/// fork the state and narrow it on each side; states at jump targets are kept, and a path whose
/// state an already explored one covers is cut short (pruning). The first unsafe instruction ends
/// verification with a <see cref="VerificationDiagnostic"/>.
/// </summary>
/// <remarks>
/// The exploration, the instruction semantics and the calls live in the partial files
/// <c>ProgramVerifier.*.cs</c>. An internal <see cref="Rejection"/> carries the diagnostic out of
/// the instruction that found it.
/// </remarks>
public sealed partial class ProgramVerifier
{
    /// <summary>Linux's limit on nested calls: the main function and seven more frames.</summary>
    public const int MaxFrames = 8;

    private readonly Bytecode _code;
    private readonly VerifierOptions _options;
    private readonly List<Checkpoint>?[] _visited;
    private readonly bool[] _prunePoint;
    private readonly bool[] _loopHead;
    private readonly RegisterLiveness _liveness;
    private readonly List<string>? _log;
    private long _processed;
    private int _stored;
    private int _pruned;
    private ProgramTypeRules? _rules;

    private ProgramVerifier(Bytecode code, VerifierOptions options)
    {
        _code = code;
        _options = options;
        (_prunePoint, _loopHead) = FindPrunePoints(code);
        _visited = new List<Checkpoint>?[code.Length + 1];
        _liveness = RegisterLiveness.Of(code);
        _log = options.Log ? [] : null;
    }

    /// <summary>Verifies <paramref name="code"/> against <paramref name="options"/>.</summary>
    public static VerificationResult Verify(Bytecode code, VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        var verifier = new ProgramVerifier(code, options ?? new VerifierOptions());
        var diagnostics = new List<VerificationDiagnostic>();
        try
        {
            verifier.CheckReachability();
            verifier.CheckSpinLockMaps();
            verifier.CheckArenaMaps();
            verifier.Explore();
        }
        catch (Rejection rejection)
        {
            diagnostics.Add(rejection.Diagnostic);
        }
        finally
        {
            StackState.Observer = null;
            verifier.ReleaseHistory();
        }

        return new VerificationResult(diagnostics, verifier._processed, verifier._stored, verifier._pruned, verifier._log)
        {
            ArenaAccesses = verifier.ArenaAccesses,
            Facts = diagnostics.Count == 0 ? verifier.CollectedFacts() : ProvenFacts.None,
        };
    }

    /// <summary>A diagnostic on its way out of the instruction that found it.</summary>
    private sealed class Rejection(VerificationDiagnostic diagnostic) : Exception(diagnostic.ToString())
    {
        public VerificationDiagnostic Diagnostic { get; } = diagnostic;
    }

    /// <summary>
    /// A state kept at a prune point, with the number of paths still being explored from it:
    /// only a state whose paths all ended safely may cover another (a state still being explored
    /// and equal to the current one means a loop that makes no progress).
    /// </summary>
    /// <param name="state">The state.</param>
    /// <param name="parent">The checkpoint before it on its path.</param>
    /// <param name="writtenBefore">Per frame, the stack slots written whole on the way from <paramref name="parent"/> to here.</param>
    /// <param name="history">The instructions on the way from <paramref name="parent"/> to here, the latest first.</param>
    private sealed class Checkpoint(VerifierState state, Checkpoint? parent, ulong[] writtenBefore, int history)
    {
        public VerifierState State { get; } = state;

        public Checkpoint? Parent { get; } = parent;

        public int Branches { get; set; } = 1;

        public bool Complete => Branches == 0;

        /// <summary>Per frame, the stack slots written whole on the way from <see cref="Parent"/> to here: reads after here do not reach further up.</summary>
        public ulong[] WrittenBefore { get; } = writtenBefore;

        /// <summary>Per frame, the stack slots some path from here read before writing them (Linux's read marks).</summary>
        public ulong[] Read { get; } = new ulong[MaxFrames];

        /// <summary>The instructions on the way from <see cref="Parent"/> to here, the latest first (for precision).</summary>
        public int History { get; } = history;

        /// <summary>Per frame, the registers whose exact scalar value some path from here depended on (Linux's precise marks).</summary>
        public ushort[] PreciseRegisters { get; } = new ushort[MaxFrames];

        /// <summary>Per frame, the stack slots whose spilled scalar some path from here depended on exactly.</summary>
        public ulong[] PreciseSlots { get; } = new ulong[MaxFrames];

        /// <summary>How often the state covered a later one, and how often it did not (old states that never help are dropped).</summary>
        public int Hits { get; set; }

        /// <inheritdoc cref="Hits"/>
        public int Misses { get; set; }
    }

    /// <summary>
    /// A path waiting to be explored: where it continues and with what, the last checkpoint on it,
    /// the stack slots it wrote whole since then, and the instructions it ran since then (the
    /// latest first, as an index into the history).
    /// </summary>
    private sealed record PendingPath(int Pc, VerifierState State, Checkpoint? Last, ulong[] Written, int History);

    /// <summary>
    /// One instruction a path ran: where, in which frame, and which stack slots it read or wrote
    /// (frame -1: none; -2: a stack the verifier could not attribute to one frame), and, for a
    /// conditional jump that went both ways, the scalars it taught something (operands and their
    /// copies: <see cref="_links"/>[Linked], or -1). Entries link to the previous one by its index in
    /// <see cref="_history"/> (-1: none), so paths that fork share what came before. They live in one
    /// pooled array rather than as objects, because every processed instruction adds one and the
    /// checkpoints keep them all: as objects they were most of what each garbage collection copied.
    /// </summary>
    private readonly record struct HistoryEntry(int Pc, int Frame, int ReadFrame, ulong ReadSlots, int WriteFrame, ulong WriteSlots, ulong WholeSlots, int Previous, int Linked);

    /// <summary>Every path's history entries, in the order the instructions ran (rented from the shared pool).</summary>
    private HistoryEntry[] _history = ArrayPool<HistoryEntry>.Shared.Rent(4096);

    private int _historyCount;

    /// <summary>The scalars the conditional jumps of <see cref="_history"/> taught something.</summary>
    private readonly List<Links> _links = [];

    /// <summary>Keeps the entry; returns its index.</summary>
    private int AddHistory(in HistoryEntry entry, Links? linked)
    {
        if (_historyCount == _history.Length)
        {
            var larger = ArrayPool<HistoryEntry>.Shared.Rent(_history.Length * 2);
            _history.AsSpan(0, _historyCount).CopyTo(larger);
            ArrayPool<HistoryEntry>.Shared.Return(_history);
            _history = larger;
        }

        int link = -1;
        if (linked is not null)
        {
            link = _links.Count;
            _links.Add(linked);
        }

        _history[_historyCount] = entry with { Linked = link };
        return _historyCount++;
    }

    /// <summary>Gives the history's array back to the pool.</summary>
    private void ReleaseHistory()
    {
        ArrayPool<HistoryEntry>.Shared.Return(_history);
        _history = [];
        _historyCount = 0;
    }

    private Rejection Reject(DiagnosticCode code, int pc, string message, params string[] registers) =>
        new(new VerificationDiagnostic(code, pc, InstructionText(pc), message, _options.SourceLines?.Invoke(pc), registers));

    private string InstructionText(int pc) =>
        pc >= 0 && pc < _code.Length && _code.InfoAt(pc) is not null ? Disassembler.Format(_code.Instructions, pc) : "";

    /// <summary>"r3 = map_value(...)" for a diagnostic's register list.</summary>
    private static string Describe(int register, RegisterState state) => $"r{register} = {state}";

    /// <summary>
    /// Prune points, as Linux chooses them: jump targets, conditional jumps themselves (one check
    /// before the paths fork covers both ways), and the instructions after calls. Loop heads
    /// (targets of backward jumps) always keep a state, so that a loop making no progress is seen.
    /// </summary>
    private static (bool[] PrunePoints, bool[] LoopHeads) FindPrunePoints(Bytecode code)
    {
        var points = new bool[code.Length + 1];
        var loopHeads = new bool[code.Length + 1];
        for (int pc = 0; pc < code.Length; pc++)
        {
            var info = code.InfoAt(pc);
            if (info is null)
                continue;
            if (info.IsJump && info.TargetOf(code[pc], pc) is { } target && target >= 0 && target <= code.Length)
            {
                points[target] = true;
                if (target <= pc)
                    loopHeads[target] = true;
            }

            if (info.IsConditionalJump)
                points[pc] = true;
            if (info.Operation is Operation.Call or Operation.CallLocal or Operation.CallKfunc)
                points[pc + 1] = true;
        }

        return (points, loopHeads);
    }

    /// <summary>
    /// Linux's first pass: every instruction must be reachable from the entry through the control
    /// flow graph (both sides of every branch, calls into their functions), whether or not the
    /// values make a side impossible.
    /// </summary>
    private void CheckReachability()
    {
        var reached = new bool[_code.Length];
        var work = new Stack<int>();
        void Reach(int pc)
        {
            if (pc >= 0 && pc < _code.Length && !reached[pc])
            {
                reached[pc] = true;
                work.Push(pc);
            }
        }

        Reach(0);
        while (work.TryPop(out int pc))
        {
            var info = _code.InfoAt(pc)!;
            var instruction = _code[pc];
            switch (info.Operation)
            {
                case Operation.Exit:
                    break;
                case Operation.Ja or Operation.Ja32:
                    Reach((int)info.TargetOf(instruction, pc)!.Value);
                    break;
                case Operation.CallLocal:
                    Reach((int)info.TargetOf(instruction, pc)!.Value);
                    Reach(pc + 1);
                    break;
                case Operation.LoadImm64:
                    if (info.PseudoSource == LoadImm64Source.Function)
                        Reach((int)info.TargetOf(instruction, pc)!.Value);
                    Reach(pc + 2);
                    break;
                default:
                    if (info.IsConditionalJump)
                        Reach((int)info.TargetOf(instruction, pc)!.Value);
                    Reach(pc + 1);
                    break;
            }
        }

        for (int pc = 0; pc < _code.Length; pc++)
        {
            if (!reached[pc] && _code.InfoAt(pc) is not null)
                throw Reject(DiagnosticCode.UnreachableInstruction, pc, $"instruction {pc} is unreachable: no path from the entry leads to it");
        }
    }

    /// <summary>The state at the program's entry, by program type.</summary>
    private VerifierState InitialState()
    {
        var registers = Enumerable.Repeat(RegisterState.Uninitialized, Registers.Count).ToArray();
        registers[Registers.FramePointer] = RegisterState.Pointer(RegisterKind.Stack);
        var sizes = ImmutableDictionary<int, long>.Empty;
        int nextId = 1;
        if (_options.Type.Context is not null || IsSyscallProgram)
        {
            registers[1] = RegisterState.Pointer(RegisterKind.Context);
        }
        else
        {
            // Raw memory: r1 points to r2 bytes. The length is a scalar linked to the memory by an
            // id, so a check of r2 (or a copy) proves how much of r1 may be read.
            int length = nextId++;
            registers[1] = new RegisterState(RegisterKind.Memory, Scalar.Constant(0), Id: length, Size: -1);
            registers[2] = RegisterState.FromScalar(Scalar.Unknown, length);
            sizes = sizes.Add(length, 0);
        }

        var frame = new FrameState([.. registers], StackState.Empty, -1, 0);
        return new VerifierState([frame], sizes, ImmutableDictionary<int, int>.Empty, nextId);
    }

    /// <summary>What the program type allows: helpers, return values.</summary>
    private ProgramTypeRules Rules => _rules ??= _options.Section is { } section && ProgramType.ForSection(section).Kind == _options.Type.Kind && _options.Type.Kind != BpfProgramKind.Unspec
        ? ProgramTypeRules.ForSection(section)
        : ProgramTypeRules.For(_options.Type);

    /// <summary>The context layout of the program type, or null for raw memory.</summary>
    private ContextLayout? Context => _options.Type.Context;
}
