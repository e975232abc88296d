using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Bpf.Aot;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>The outcomes of one program on the reference interpreter, the JIT and (when it ran) the AOT engine.</summary>
/// <param name="Interpreter">The interpreter's outcome, the oracle.</param>
/// <param name="Jit">The JIT's outcome.</param>
/// <param name="Aot">The outcome of the code the AOT engine wrote, or null when the program did not run there.</param>
public sealed record Comparison(Outcome Interpreter, Outcome Jit, Outcome? Aot = null)
{
    /// <summary>True if the engines agree.</summary>
    public bool Agree => Interpreter.Equals(Jit) && (Aot is null || Interpreter.Equals(Aot));

    /// <summary>True if some engine's run was stopped by the budget.</summary>
    public bool AnyBudgetExhausted => Interpreter.IsBudgetExhausted || Jit.IsBudgetExhausted || Aot is { IsBudgetExhausted: true };
}

/// <summary>
/// Runs programs on the reference interpreter, the JIT and the AOT engine with the same options,
/// each on its own copy of the same input, and explains disagreements: the seed, the listing, the
/// outcomes, and a shrunk program that still disagrees.
/// </summary>
public sealed class DifferentialRunner
{
    /// <summary>The budget while shrinking: removing a loop's decrement must not cost a hundred million steps.</summary>
    private const long ShrinkBudget = 1_000_000;

    /// <summary>Creates a runner whose engines prepare programs with <paramref name="options"/>.</summary>
    /// <param name="options">The options both engines prepare programs with.</param>
    /// <param name="readOnlyTail">How many bytes at the end of the input the program may only read (see <see cref="Run(BpfExecutable, byte[], int)"/>).</param>
    public DifferentialRunner(ExecutionOptions options, int readOnlyTail = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        ReadOnlyTail = readOnlyTail;
    }

    /// <summary>The options both engines prepare programs with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>How many bytes at the end of the input are read-only.</summary>
    public int ReadOnlyTail { get; }

    /// <summary>Runs <paramref name="bytecode"/> on every engine, each on a fresh copy of <paramref name="input"/>.</summary>
    /// <param name="bytecode">The program.</param>
    /// <param name="input">Its input.</param>
    /// <param name="withAot">
    /// False to leave out the AOT engine, whose assembly per program costs about twice the JIT's
    /// compilation: the random tests run every tenth program there (see <see cref="RunsOnAot"/>).
    /// </param>
    public Comparison Compare(Bytecode bytecode, byte[] input, bool withAot = true) => Compare(bytecode, input, Options, withAot);

    /// <summary>
    /// Whether the random tests run the program of <paramref name="seed"/> on the AOT engine too:
    /// every tenth, which keeps the suite within its time while the AOT code still meets thousands
    /// of programs of every generator.
    /// </summary>
    public static bool RunsOnAot(int seed) => seed % 10 == 0;

    /// <summary>Runs prepared programs (the interpreter's, the JIT's and optionally the AOT engine's), each on a fresh copy of <paramref name="input"/>.</summary>
    public static Comparison Compare(BpfExecutable interpreter, BpfExecutable jit, byte[] input, BpfExecutable? aot = null)
    {
        ArgumentNullException.ThrowIfNull(interpreter);
        ArgumentNullException.ThrowIfNull(jit);
        return new(Run(interpreter, input), Run(jit, input), aot is null ? null : Run(aot, input));
    }

    /// <summary>Runs <paramref name="bytecode"/> on one engine on a fresh copy of <paramref name="input"/>.</summary>
    public static Outcome Run(IBpfEngine engine, Bytecode bytecode, byte[] input, ExecutionOptions options, int readOnlyTail = 0)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return Run(() => engine.Prepare(bytecode, options), input, readOnlyTail);
    }

    /// <summary>
    /// Runs a prepared program on a fresh copy of <paramref name="input"/>. With a read-only tail
    /// it runs as a host would run it on a context of its own: through an invocation whose regions
    /// are the input's writable head and its read-only tail (r1 and r2 as usual).
    /// </summary>
    public static Outcome Run(BpfExecutable executable, byte[] input, int readOnlyTail = 0)
    {
        ArgumentNullException.ThrowIfNull(executable);
        return Run(() => executable, input, readOnlyTail);
    }

    private static unsafe Outcome Run(Func<BpfExecutable> prepare, byte[] input, int readOnlyTail)
    {
        ArgumentNullException.ThrowIfNull(input);
        var memory = input.ToArray();
        try
        {
            var executable = prepare();
            if (readOnlyTail == 0)
                return Outcome.Returned(executable.Run(memory), memory);

            fixed (byte* start = memory)
            {
                var invocation = new Invocation(executable.Options);
                int writable = memory.Length - readOnlyTail;
                invocation.AddRegion((nint)start, writable, writable: true);
                invocation.AddRegion((nint)(start + writable), readOnlyTail, writable: false);
                invocation.PacketStart = (nint)start;
                invocation.PacketLength = memory.Length;
                return Outcome.Returned(executable.Run((ulong)start, (ulong)memory.Length, 0, 0, 0, invocation), memory);
            }
        }
        catch (BpfRuntimeException trap)
        {
            return Outcome.Trapped(trap, memory);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return Outcome.Failed(exception, memory);
        }
    }

    /// <summary>
    /// Compares the engines on a generated program and returns null when they agree, or the full
    /// explanation of the disagreement (with a shrunk program) when they do not.
    /// </summary>
    public string? Check(GeneratedProgram program, string generatorDescription)
    {
        ArgumentNullException.ThrowIfNull(program);
        var bytecode = Bytecode.Create(program.Instructions);
        var comparison = Compare(bytecode, program.Input, RunsOnAot(program.Seed));
        return comparison.Agree ? null : Explain(program, comparison, generatorDescription);
    }

    /// <summary>The failure message for a disagreement on <paramref name="program"/>.</summary>
    public string Explain(GeneratedProgram program, Comparison comparison, string generatorDescription)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(comparison);
        var text = new StringBuilder();
        text.AppendLine($"The engines disagree on seed {program.Seed} ({generatorDescription}; checked mode {(Options.Checked ? "on" : "off")}{(ReadOnlyTail > 0 ? $"; the last {ReadOnlyTail} input bytes read-only" : "")}).");
        text.AppendLine($"  interpreter: {comparison.Interpreter}");
        text.AppendLine($"  jit:         {comparison.Jit}");
        if (comparison.Aot is not null)
            text.AppendLine($"  aot:         {comparison.Aot}");
        text.AppendLine($"  input:       {Outcome.Hex(program.Input)}");

        var shrunk = ProgramShrinker.Shrink(program.Instructions, candidate => StillDisagrees(candidate, program.Input), TimeSpan.FromSeconds(30));
        if (shrunk.Length < program.Instructions.Length)
        {
            var again = Compare(Bytecode.Create(shrunk), program.Input);
            text.AppendLine();
            text.AppendLine($"Shrunk to {shrunk.Length} of {program.Instructions.Length} slots, still disagreeing:");
            text.AppendLine($"  interpreter: {again.Interpreter}");
            text.AppendLine($"  jit:         {again.Jit}");
            if (again.Aot is not null)
                text.AppendLine($"  aot:         {again.Aot}");
            text.Append(ProgramListing.Format(shrunk));
            text.AppendLine();
            text.AppendLine("The shrunk program as assembly (Assembler.Assemble reads it back):");
            text.Append(Disassembler.Disassemble(Bytecode.Create(shrunk), new DisassemblerOptions(UseLabels: true)));
        }

        text.AppendLine();
        text.AppendLine($"The program ({program.Instructions.Length} slots):");
        text.Append(ProgramListing.Format(program.Instructions));
        return text.ToString();
    }

    private Comparison Compare(Bytecode bytecode, byte[] input, ExecutionOptions options, bool withAot = true) =>
        new(
            Run(InterpreterEngine.Instance, bytecode, input, options, ReadOnlyTail),
            Run(JitEngine.Instance, bytecode, input, options, ReadOnlyTail),
            withAot ? Run(AotEngine.Instance, bytecode, input, options, ReadOnlyTail) : null);

    /// <summary>
    /// Whether a shrunk candidate still shows a disagreement worth reporting. Candidates may loop
    /// forever or, unchecked, touch memory they must not, so each first runs on the checked
    /// interpreter with a small budget: one that is stopped is no evidence (and unchecked, no
    /// candidate that would trap checked may run at all). Removing an instruction can also let an
    /// address reach r0 or memory (<c>mov r1, 5</c> after <c>mov r9, r1</c>, say), and addresses
    /// differ between engines: a candidate whose outcome on the interpreter alone changes when its
    /// input and stack move is no evidence either.
    /// </summary>
    private bool StillDisagrees(Bytecode candidate, byte[] input)
    {
        var guarded = Options with { Checked = true, InstructionBudget = ShrinkBudget };
        var oracle = Run(InterpreterEngine.Instance, candidate, input, guarded, ReadOnlyTail);
        if (oracle.IsBudgetExhausted || !Options.Checked && oracle.Kind != OutcomeKind.Returned)
            return false;
        var moved = Deeper(() => Run(InterpreterEngine.Instance, candidate, input, guarded, ReadOnlyTail));
        if (!moved.Equals(oracle))
            return false;

        var comparison = Options.Checked ? Compare(candidate, input, guarded) : Compare(candidate, input, Options);
        return !comparison.Agree && !comparison.AnyBudgetExhausted;
    }

    /// <summary>Runs <paramref name="run"/> with the stack 2 KiB deeper (and so the interpreter's frames elsewhere).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Outcome Deeper(Func<Outcome> run)
    {
        Span<byte> padding = stackalloc byte[2048];
        padding[^1] = 1;
        var outcome = run();
        return padding[^1] == 1 ? outcome : throw new UnreachableException();
    }
}
