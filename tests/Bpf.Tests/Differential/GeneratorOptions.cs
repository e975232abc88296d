namespace Bpf.Tests.Differential;

/// <summary>
/// The shape of the programs a <see cref="RandomProgramGenerator"/> makes: how long, how many
/// subprograms, how loops and jumps look, and whether they may touch memory they must not.
/// </summary>
public sealed record GeneratorOptions
{
    /// <summary>
    /// Small programs for checked mode: every kind of instruction, a few subprograms, bounded
    /// loops, and in some programs deliberate out-of-bounds accesses that both engines must trap.
    /// </summary>
    public static GeneratorOptions Checked { get; } = new();

    /// <summary>
    /// Small programs that are in bounds by construction and write every stack byte they can read
    /// before reading it, so that they may run in unchecked mode (no bounds checks, no zeroed frames).
    /// </summary>
    public static GeneratorOptions InBounds { get; } = new() { WildProgramRate = 0, StackWindow = 128, InitializeStack = true };

    /// <summary>
    /// Small checked-mode programs that are mostly arithmetic on registers that all hold live
    /// 64-bit values: register pressure around division, multiplication and shifts, where a
    /// compiler's register allocator has the most to get wrong.
    /// </summary>
    public static GeneratorOptions ArithmeticDense { get; } = new() { ArithmeticRate = 0.8, WildProgramRate = 0, MaxSubprograms = 2 };

    /// <summary>
    /// Large programs of about <paramref name="length"/> instructions in the entry function and
    /// <paramref name="subprograms"/> subprograms of three quarters of that, each mostly one loop that spans
    /// the function (see <see cref="SpanningLoop"/>) and with many far jumps, so that the JIT
    /// splits every function into regions and jumps cross region boundaries both ways.
    /// </summary>
    /// <param name="length">The statements in the entry function.</param>
    /// <param name="subprograms">The number of subprograms.</param>
    /// <param name="inBounds">True for programs that may run unchecked (see <see cref="InBounds"/>).</param>
    public static GeneratorOptions Large(int length, int subprograms, bool inBounds) => (inBounds ? InBounds : Checked) with
    {
        MainLength = length,
        SubprogramLength = length * 3 / 4,
        MinLengthFraction = 0.9,
        MinSubprograms = subprograms,
        MaxSubprograms = subprograms,
        SpanningLoop = true,
        MaxLoopIterations = 3,
        FarJumpRate = 0.04,
        FarJumpDistance = 3_000,
        WildProgramRate = 0,
        PacketAbortRate = 0,
        MaxDynamicInstructions = 2_000_000,
    };

    /// <summary>
    /// The fraction of statements that are plain arithmetic (the rest are drawn from every kind);
    /// 0 for the normal mix.
    /// </summary>
    public double ArithmeticRate { get; init; }

    /// <summary>The most statements in the entry function's body.</summary>
    public int MainLength { get; init; } = 60;

    /// <summary>The least length of a function's body, as a fraction of its most.</summary>
    public double MinLengthFraction { get; init; } = 0.25;

    /// <summary>The most statements in a subprogram's body.</summary>
    public int SubprogramLength { get; init; } = 30;

    /// <summary>The least subprograms.</summary>
    public int MinSubprograms { get; init; }

    /// <summary>
    /// The most subprograms (chosen per program). Calls go to later functions only, so 7 with
    /// the entry function allows a chain of 8 frames, the limit.
    /// </summary>
    public int MaxSubprograms { get; init; } = 7;

    /// <summary>The most times a loop runs.</summary>
    public int MaxLoopIterations { get; init; } = 5;

    /// <summary>The most statements in an ordinary loop body.</summary>
    public int MaxLoopBody { get; init; } = 12;

    /// <summary>
    /// When set, each function starts with one loop whose body spans most of the function, so
    /// that in large functions the loop's backward jump crosses the JIT's region boundaries. No
    /// jump leaves that loop and it contains no <c>exit</c>, so every iteration runs to the end.
    /// </summary>
    public bool SpanningLoop { get; init; }

    /// <summary>
    /// How often a conditional forward jump picks its target anywhere up to
    /// <see cref="FarJumpDistance"/> ahead rather than close by. Far jumps mostly test for
    /// equality with a random constant, so that few are taken and most of the code still runs.
    /// </summary>
    public double FarJumpRate { get; init; } = 0.1;

    /// <summary>The most items a far jump skips.</summary>
    public int FarJumpDistance { get; init; } = 16_000;

    /// <summary>
    /// How often a legacy packet load reads outside the packet, which ends the whole program with
    /// r0 = 0 (and so cuts short what the rest of it would have tested).
    /// </summary>
    public double PacketAbortRate { get; init; } = 0.02;

    /// <summary>
    /// The fraction of programs that contain deliberate invalid accesses (wild offsets, a data
    /// register used as a pointer, misaligned atomics, bad <c>callx</c> targets). 0 for programs
    /// that must stay in bounds.
    /// </summary>
    public double WildProgramRate { get; init; } = 0.2;

    /// <summary>
    /// The bytes below r10 that programs use (a multiple of 8, at most 512). Callers also hand
    /// this window of their frame to their callees.
    /// </summary>
    public int StackWindow { get; init; } = 512;

    /// <summary>When set, every function starts by storing to each dword of its stack window.</summary>
    public bool InitializeStack { get; init; }

    /// <summary>The size of the input memory r1 points to at entry.</summary>
    public int InputLength { get; init; } = 64;

    /// <summary>
    /// An upper bound on the instructions one run may execute, which the generator keeps to by
    /// limiting loops and calls; far below the instruction budget, so that both engines finish.
    /// </summary>
    public long MaxDynamicInstructions { get; init; } = 20_000;
}
