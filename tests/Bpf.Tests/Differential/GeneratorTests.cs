using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>
/// The generator keeps its promises: the same seed gives the same program, programs are valid,
/// every runnable row of the opcode table appears, and wild programs trap in every way they are
/// meant to. Without these, a differential run that passes could be testing very little.
/// </summary>
[TestFixture]
public sealed class GeneratorTests
{
    private const int Seeds = 3_000;

    [Test]
    public void TheSameSeedGivesTheSameProgramAndInput()
    {
        var first = new RandomProgramGenerator(GeneratorOptions.Checked);
        var second = new RandomProgramGenerator(GeneratorOptions.Checked);
        for (int seed = 0; seed < 200; seed++)
        {
            var a = first.Generate(seed);
            var b = second.Generate(seed);
            Assert.That(b.Instructions, Is.EqualTo(a.Instructions), $"seed {seed}");
            Assert.That(b.Input, Is.EqualTo(a.Input), $"seed {seed}");
            Assert.That(b.HasWildAccesses, Is.EqualTo(a.HasWildAccesses), $"seed {seed}");
        }

        Assert.That(first.Generate(1).Instructions, Is.Not.EqualTo(first.Generate(2).Instructions));
    }

    [Test]
    public void ProgramsAreValidBytecodeWithSubprograms()
    {
        foreach (var options in new[] { GeneratorOptions.Checked, GeneratorOptions.InBounds })
        {
            var generator = new RandomProgramGenerator(options);
            int deepest = 0;
            for (int seed = 0; seed < Seeds; seed++)
            {
                var program = generator.Generate(seed);
                Bytecode bytecode;
                try
                {
                    bytecode = Bytecode.Create(program.Instructions);
                }
                catch (InvalidBytecodeException e)
                {
                    Assert.Fail($"seed {seed}: {e.Message}\n{ProgramListing.Format(program.Instructions)}");
                    throw;
                }

                deepest = Math.Max(deepest, bytecode.Functions[0].FrameDepth);
            }

            Assert.That(deepest, Is.EqualTo(Registers.MaxCallDepth), "no program nests calls to the frame limit");
        }
    }

    [Test]
    public void EveryRunnableRowOfTheOpcodeTableIsGenerated()
    {
        var seen = new HashSet<OpcodeInfo>();
        var generator = new RandomProgramGenerator(GeneratorOptions.Checked);
        for (int seed = 0; seed < Seeds; seed++)
        {
            var bytecode = Bytecode.Create(generator.Generate(seed).Instructions);
            for (int pc = 0; pc < bytecode.Length; pc++)
            {
                if (bytecode.InfoAt(pc) is { } info)
                    seen.Add(info);
            }
        }

        var missing = OpcodeTable.All.Except(InstructionRows.NotGenerated).Where(row => !seen.Contains(row)).ToList();
        Assert.That(missing, Is.Empty, $"never generated: {string.Join(", ", missing)}");
        Assert.That(seen.Intersect(InstructionRows.NotGenerated), Is.Empty);
    }

    [Test]
    public void WildProgramsTrapInEveryIntendedWayAndOthersDoNot()
    {
        var generator = new RandomProgramGenerator(GeneratorOptions.Checked);
        var options = new ExecutionOptions { Helpers = DifferentialHelpers.CreateRegistry() };
        var traps = new Dictionary<TrapKind, int>();
        for (int seed = 0; seed < Seeds; seed++)
        {
            var program = generator.Generate(seed);
            var outcome = DifferentialRunner.Run(InterpreterEngine.Instance, Bytecode.Create(program.Instructions), program.Input, options);
            if (!program.HasWildAccesses)
            {
                Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Returned), $"seed {seed}: {outcome.Summary}");
                continue;
            }

            if (outcome.Kind == OutcomeKind.Trapped)
                traps[outcome.Trap] = traps.GetValueOrDefault(outcome.Trap) + 1;
        }

        Assert.That(traps.Keys, Is.EquivalentTo(new[] { TrapKind.OutOfBounds, TrapKind.Misaligned, TrapKind.BadCallTarget }),
            string.Join(", ", traps.Select(pair => $"{pair.Key}: {pair.Value}")));
    }

    [Test]
    public void LargeProgramsHaveTheRequestedShape()
    {
        var program = new RandomProgramGenerator(GeneratorOptions.Large(10_000, 2, inBounds: false)).Generate(7);
        var bytecode = Bytecode.Create(program.Instructions);
        Assert.That(bytecode.Functions, Has.Count.EqualTo(3));
        Assert.That(bytecode.Functions[0].Length, Is.InRange(9_000, 12_000));
        Assert.That(bytecode.Functions.Skip(1).Select(f => f.Length), Has.All.InRange(6_500, 9_500));
        Assert.That(bytecode.Functions.Select(f => f.Length), Has.All.LessThan(32_000), "jump offsets are 16 bits");
    }
}
