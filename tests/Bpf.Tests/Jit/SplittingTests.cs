using Bpf.Interpretation;
using Bpf.Jit;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;

namespace Bpf.Tests.Jit;

/// <summary>
/// Functions too large for one optimized method are split into a driver and regions, each within
/// the budget, and still compute what the program says.
/// </summary>
public sealed class SplittingTests
{
    [TestCase(12_000, true)]
    [TestCase(12_000, false)]
    [TestCase(40_000, true)]
    public void LargeLoopComputesItsResultAcrossRegions(int length, bool isChecked)
    {
        const int iterations = 7;
        var program = LargeProgram.CountingLoop(length, iterations);
        var options = ExecutionOptions.Default with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted, InstructionBudget = 100L * length };
        var jitted = JitCompiler.Compile(program, options);

        Assert.Multiple(() =>
        {
            Assert.That(jitted.Plan.Methods.Count(m => m.Kind == MethodKind.Region), Is.GreaterThan(2), "the loop body must span several regions");
            Assert.That(jitted.Run(Span<byte>.Empty), Is.EqualTo(1000UL + iterations));
        });
    }

    [Test]
    public void EveryGeneratedMethodFitsTheBudget()
    {
        var jitted = JitCompiler.Compile(LargeProgram.CountingLoop(30_000, 3));
        foreach (var method in jitted.Plan.Methods)
        {
            var metrics = jitted.MethodMetrics[method.Id];
            Assert.That(metrics.FitsWithin(ILMetrics.Budget), Is.True, $"{method}: {metrics}");
        }
    }

    [Test]
    public void RegionsCoverEachSplitFunctionExactlyOnce()
    {
        var program = LargeProgram.CountingLoop(20_000, 1);
        var plan = ProgramPlan.Create(program, ExecutionOptions.Default);
        foreach (var function in program.Functions)
        {
            var entry = plan.EntryOf(function);
            if (entry.Kind != MethodKind.FunctionDriver)
                continue;
            Assert.That(entry.Regions[0].Start, Is.EqualTo(function.Start));
            Assert.That(entry.Regions[^1].End, Is.EqualTo(function.End));
            for (int k = 1; k < entry.Regions.Count; k++)
                Assert.That(entry.Regions[k].Start, Is.EqualTo(entry.Regions[k - 1].End), $"region {k} of {function.Name}");
        }

        Assert.That(plan.EntryOf(program.Functions[0]).Kind, Is.EqualTo(MethodKind.FunctionDriver));
    }

    [Test]
    public void SmallFunctionsAreOneMethod()
    {
        var plan = ProgramPlan.Create(LargeProgram.CountingLoop(600, 1), ExecutionOptions.Default);
        Assert.That(plan.Methods.Select(m => m.Kind), Is.All.EqualTo(MethodKind.Function));
    }

    [Test]
    public void WithoutSplittingALargeFunctionExceedsRyuJitsLimits()
    {
        // The control for the MinOpts test: the same program as one method is over the limits.
        var jitted = JitCompiler.Compile(LargeProgram.CountingLoop(12_000, 1), jitOptions: new JitOptions { SplitLargeFunctions = false });
        Assert.Multiple(() =>
        {
            Assert.That(jitted.MethodMetrics[jitted.Plan.Entry.Id].FitsWithin(ILMetrics.RyuJitLimits), Is.False);
            Assert.That(jitted.Run(Span<byte>.Empty), Is.EqualTo(1001UL));
        });
    }

    [Test]
    public void SplitProgramAgreesWithTheInterpreterOnMemory()
    {
        var program = LargeProgram.CountingLoop(15_000, 2, seed: 5);
        var jit = JitEngine.Instance.Prepare(program, ExecutionOptions.Default).Run(Span<byte>.Empty);
        var interpreter = InterpreterEngine.Instance.Prepare(program, ExecutionOptions.Default).Run(Span<byte>.Empty);
        Assert.That(jit, Is.EqualTo(interpreter));
    }
}
