using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Aot;
using Bpf.Jit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>
/// Large generated programs (3,000 to 30,000 instructions, alone or with large subprograms),
/// which the JIT must split into region methods: the interpreter, the JIT and the AOT engine (same split, written with Cecil) must agree on them
/// as on small ones. Each test first checks that the program really is split and that jumps
/// cross region boundaries forward and backward, so that it keeps testing what it says it does.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class LargeProgramTests
{
    /// <summary>Inputs per program: compiling is the expensive part, so each program runs on several.</summary>
    private const int Inputs = 4;

    [TestCase(4_000, 0, 1)]
    [TestCase(10_000, 0, 2)]
    [TestCase(28_000, 0, 3)]
    [TestCase(6_000, 3, 4)]
    [TestCase(12_000, 2, 5)]
    public void CheckedModeAgrees(int length, int subprograms, int seed)
    {
        var helpers = DifferentialHelpers.CreateRegistry();
        RunAndCompare(GeneratorOptions.Large(length, subprograms, inBounds: false), seed, new ExecutionOptions { Helpers = helpers });
    }

    [TestCase(5_000, 0, 13)]
    [TestCase(16_000, 2, 12)]
    public void UncheckedModeAgreesOnInBoundsPrograms(int length, int subprograms, int seed)
    {
        var helpers = DifferentialHelpers.CreateRegistry();
        RunAndCompare(GeneratorOptions.Large(length, subprograms, inBounds: true), seed, new ExecutionOptions { Safety = ProgramSafety.Trusted, Helpers = helpers });
    }

    private static void RunAndCompare(GeneratorOptions generatorOptions, int seed, ExecutionOptions options)
    {
        var program = new RandomProgramGenerator(generatorOptions).Generate(seed);
        var bytecode = Bytecode.Create(program.Instructions);
        Assert.That(bytecode.Functions, Has.Count.EqualTo(1 + generatorOptions.MinSubprograms));

        var jit = JitCompiler.Compile(bytecode, options);
        var (forward, backward) = RegionCrossings(jit.Plan);
        foreach (var function in bytecode.Functions)
            Assert.That(jit.Plan.EntryOf(function).Kind, Is.EqualTo(MethodKind.FunctionDriver), $"{function} ({function.Length} slots) was not split into regions");
        Assert.That(forward, Is.GreaterThan(0), "no forward jump crosses a region boundary");
        Assert.That(backward, Is.GreaterThan(0), "no backward jump crosses a region boundary");
        TestContext.Out.WriteLine($"{bytecode.Length} slots, {bytecode.Functions.Count} functions, {jit.Plan.Methods.Count} methods; jumps across regions: {forward} forward, {backward} backward");

        // The program must run, not jump over itself: at least half as many steps as it has instructions.
        var shortBudget = InterpreterEngine.Instance.Prepare(bytecode, options with { Checked = true, InstructionBudget = bytecode.Length / 2 });
        var stopped = DifferentialRunner.Run(shortBudget, program.Input);
        Assert.That(stopped.IsBudgetExhausted, Is.True, $"the program ran fewer than {bytecode.Length / 2} instructions: {stopped.Summary}");

        // Unchecked code that strays would crash the process: the checked interpreter vouches first.
        var guard = InterpreterEngine.Instance.Prepare(bytecode, options with { Checked = true });
        var interpreter = InterpreterEngine.Instance.Prepare(bytecode, options);
        var aot = AotEngine.Instance.Prepare(bytecode, options);
        var random = new Random(seed);
        for (int i = 0; i < Inputs; i++)
        {
            var input = program.Input.ToArray();
            if (i > 0)
                random.NextBytes(input);

            var vouched = DifferentialRunner.Run(guard, input);
            Assert.That(vouched.Kind, Is.EqualTo(OutcomeKind.Returned), $"seed {seed}, input {i}: the large program {vouched.Summary}");

            var comparison = DifferentialRunner.Compare(interpreter, jit, input, aot);
            if (!comparison.Agree)
            {
                var runner = new DifferentialRunner(options);
                Assert.Fail(runner.Explain(program with { Input = input }, comparison, $"GeneratorOptions.Large(...), input {i}"));
            }
        }
    }

    /// <summary>The jumps whose source and target lie in different region methods.</summary>
    private static (int Forward, int Backward) RegionCrossings(ProgramPlan plan)
    {
        int forward = 0, backward = 0;
        var code = plan.Bytecode;
        foreach (var function in code.Functions)
        {
            if (plan.EntryOf(function).Kind != MethodKind.FunctionDriver)
                continue;
            for (int pc = function.Start; pc < function.End; pc++)
            {
                if (code.InfoAt(pc) is not { IsJump: true } info)
                    continue;
                int target = (int)info.TargetOf(code[pc], pc)!.Value;
                if (plan.RegionOf(function, pc) == plan.RegionOf(function, target))
                    continue;
                if (target > pc)
                    forward++;
                else
                    backward++;
            }
        }

        return (forward, backward);
    }
}
