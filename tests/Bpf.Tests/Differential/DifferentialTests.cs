using System.Globalization;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>
/// The JIT (and, for every tenth program, the AOT engine) against the reference interpreter on
/// random programs from the <see cref="RandomProgramGenerator"/>: each program runs on the engines, each on a fresh copy
/// of the same input, and they must agree on r0 and the final input memory, or on the trap (kind
/// and instruction index). A disagreement fails with the seed, the program's listing, both
/// outcomes and a shrunk program.
/// </summary>
/// <remarks>
/// By default 20,000 programs run in checked mode (some of them with deliberate invalid accesses),
/// 2,000 more with the last bytes of their input read-only, 2,000 arithmetic-dense ones (register
/// pressure, where RyuJIT's register allocator has gone wrong before), and 2,000 in-bounds
/// programs unchecked, split by seed range into test cases so that progress shows. Set the
/// environment variable <c>BPF_DIFFERENTIAL_PROGRAMS=N</c> to run N checked programs and N/10
/// of each other kind instead (millions, for a long soak). The JIT's bugs so far showed only
/// when Bpf.Core is optimized, so run with <c>-c Release</c>. To reproduce a
/// failure, generate its seed with the generator options the message names.
/// </remarks>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DifferentialTests
{
    /// <summary>The environment variable that sets how many checked-mode programs to run.</summary>
    public const string ProgramsVariable = "BPF_DIFFERENTIAL_PROGRAMS";

    private const int DefaultPrograms = 20_000;
    private const int ProgramsPerCase = 1_000;
    private const int MaxCases = 200;

    /// <summary>Unchecked programs get seeds of their own, so that they are not the checked ones again.</summary>
    private const int UncheckedSeedBase = 1_000_000_000;

    /// <summary>Seeds of the programs that run with a read-only input tail.</summary>
    private const int ReadOnlySeedBase = 2_000_000_000 - 100_000_000;

    /// <summary>Seeds of the arithmetic-dense programs.</summary>
    private const int ArithmeticDenseSeedBase = 1_500_000_000;

    /// <summary>How much of the input those programs may only read: stores there must trap.</summary>
    private const int ReadOnlyTail = 16;

    private static int Programs =>
        int.TryParse(Environment.GetEnvironmentVariable(ProgramsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : DefaultPrograms;

    /// <summary>Seed ranges of the checked-mode cases.</summary>
    public static IEnumerable<TestCaseData> CheckedRanges() => Ranges(0, Programs, "Checked");

    /// <summary>Seed ranges of the unchecked-mode cases.</summary>
    public static IEnumerable<TestCaseData> UncheckedRanges() => Ranges(UncheckedSeedBase, Math.Max(1, Programs / 10), "Unchecked");

    /// <summary>Seed ranges of the arithmetic-dense cases.</summary>
    public static IEnumerable<TestCaseData> ArithmeticDenseRanges() => Ranges(ArithmeticDenseSeedBase, Math.Max(1, Programs / 10), "ArithmeticDense");

    /// <summary>Seed ranges of the cases whose input ends in read-only bytes.</summary>
    public static IEnumerable<TestCaseData> ReadOnlyRanges() => Ranges(ReadOnlySeedBase, Math.Max(1, Programs / 10), "ReadOnly");

    [TestCaseSource(nameof(CheckedRanges))]
    public void CheckedModeAgrees(int firstSeed, int count)
    {
        var generator = new RandomProgramGenerator(GeneratorOptions.Checked);
        var runner = new DifferentialRunner(new ExecutionOptions { Helpers = DifferentialHelpers.CreateRegistry() });
        var tally = new Tally();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var program = generator.Generate(seed);
            var comparison = CompareOrFail(runner, program, nameof(GeneratorOptions.Checked));
            var oracle = comparison.Interpreter;

            // A program without deliberate invalid accesses that traps means the generator broke its promises.
            if (!program.HasWildAccesses && oracle.Kind != OutcomeKind.Returned)
                Assert.Fail($"seed {seed}: an in-bounds program {oracle.Summary}\n{ProgramListing.Format(program.Instructions)}");
            tally.Add(program, oracle);
        }

        // The net catches nothing if every program traps, or none does.
        Assert.That(tally.Returned, Is.GreaterThan(count / 2), tally.ToString());
        Assert.That(tally.Trapped, Is.GreaterThan(count / 50), tally.ToString());
    }

    [TestCaseSource(nameof(UncheckedRanges))]
    public void UncheckedModeAgreesOnInBoundsPrograms(int firstSeed, int count)
    {
        var generator = new RandomProgramGenerator(GeneratorOptions.InBounds);
        var helpers = DifferentialHelpers.CreateRegistry();
        var runner = new DifferentialRunner(new ExecutionOptions { Safety = ProgramSafety.Trusted, Helpers = helpers });
        var guard = new ExecutionOptions { Helpers = helpers };
        var tally = new Tally();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var program = generator.Generate(seed);

            // Unchecked code that strays crashes the process, so the checked interpreter vouches for it first.
            var bytecode = Bytecode.Create(program.Instructions);
            var vouched = DifferentialRunner.Run(InterpreterEngine.Instance, bytecode, program.Input, guard);
            if (vouched.Kind != OutcomeKind.Returned)
                Assert.Fail($"seed {seed}: an in-bounds program {vouched.Summary} in checked mode\n{ProgramListing.Format(program.Instructions)}");

            var comparison = CompareOrFail(runner, program, nameof(GeneratorOptions.InBounds));
            Assert.That(comparison.Interpreter, Is.EqualTo(vouched), $"seed {seed}: the interpreter differs between checked and unchecked mode");
            tally.Add(program, comparison.Interpreter);
        }

        Assert.That(tally.Returned, Is.EqualTo(count), tally.ToString());
    }

    [TestCaseSource(nameof(ArithmeticDenseRanges))]
    public void CheckedModeAgreesOnArithmeticDensePrograms(int firstSeed, int count)
    {
        var generator = new RandomProgramGenerator(GeneratorOptions.ArithmeticDense);
        var runner = new DifferentialRunner(new ExecutionOptions { Helpers = DifferentialHelpers.CreateRegistry() });
        var tally = new Tally();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var program = generator.Generate(seed);
            tally.Add(program, CompareOrFail(runner, program, nameof(GeneratorOptions.ArithmeticDense)).Interpreter);
        }

        Assert.That(tally.Returned, Is.EqualTo(count), tally.ToString());
    }

    [TestCaseSource(nameof(ReadOnlyRanges))]
    public void CheckedModeAgreesWithReadOnlyInput(int firstSeed, int count)
    {
        var generator = new RandomProgramGenerator(GeneratorOptions.Checked);
        var runner = new DifferentialRunner(new ExecutionOptions { Helpers = DifferentialHelpers.CreateRegistry() }, ReadOnlyTail);
        var tally = new Tally();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var program = generator.Generate(seed);
            tally.Add(program, CompareOrFail(runner, program, nameof(GeneratorOptions.Checked)).Interpreter);
        }

        Assert.That(tally.ReadOnly, Is.GreaterThan(count / 20), tally.ToString());
    }

    private static Comparison CompareOrFail(DifferentialRunner runner, GeneratedProgram program, string generator)
    {
        var bytecode = Bytecode.Create(program.Instructions);
        var comparison = runner.Compare(bytecode, program.Input, DifferentialRunner.RunsOnAot(program.Seed));
        if (!comparison.Agree)
            Assert.Fail(runner.Explain(program, comparison, $"GeneratorOptions.{generator}"));
        if (comparison.Interpreter.Kind == OutcomeKind.Failed || comparison.Interpreter.IsBudgetExhausted)
            Assert.Fail($"seed {program.Seed}: both engines {comparison.Interpreter.Summary}\n{ProgramListing.Format(program.Instructions)}");
        return comparison;
    }

    private static IEnumerable<TestCaseData> Ranges(int firstSeed, int programs, string mode)
    {
        int cases = Math.Clamp((programs + ProgramsPerCase - 1) / ProgramsPerCase, 1, MaxCases);
        int per = (programs + cases - 1) / cases;
        for (int start = 0; start < programs; start += per)
        {
            int count = Math.Min(per, programs - start);
            yield return new TestCaseData(firstSeed + start, count).SetArgDisplayNames($"{mode} seeds {firstSeed + start}..{firstSeed + start + count - 1}");
        }
    }

    /// <summary>How the programs of a case ended, to check that the case tested something.</summary>
    private sealed class Tally
    {
        public int Returned { get; private set; }
        public int Trapped { get; private set; }
        public int Wild { get; private set; }
        public int ReadOnly { get; private set; }
        public long Slots { get; private set; }

        public void Add(GeneratedProgram program, Outcome outcome)
        {
            Slots += program.Instructions.Length;
            if (program.HasWildAccesses)
                Wild++;
            if (outcome.Kind == OutcomeKind.Returned)
                Returned++;
            else if (outcome.Kind == OutcomeKind.Trapped)
                Trapped++;
            if (outcome is { Kind: OutcomeKind.Trapped, Trap: TrapKind.ReadOnlyMemory })
                ReadOnly++;
        }

        public override string ToString() =>
            $"{Returned} returned, {Trapped} trapped ({ReadOnly} on read-only memory), {Wild} with deliberate invalid accesses, {Slots} slots in all";
    }
}
