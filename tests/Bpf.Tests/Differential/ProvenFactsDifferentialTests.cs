using System.Buffers.Binary;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Tests.Differential;

/// <summary>
/// Programs whose divisions and shifts the verifier proves safe, compiled without their guards
/// (unchecked, with the verifier's facts), give what the reference interpreter (checked, no facts)
/// gives: on operands at every edge (0, ±1, INT_MIN at both widths, counts around the widths) and on
/// seeded random ones. Each program's guard is a branch in the program, as C code has it.
/// </summary>
public class ProvenFactsDifferentialTests
{
    private const string Load = "mov %r0, 0\njlt %r2, 16, out\nldxdw %r3, [%r1+0]\nldxdw %r4, [%r1+8]\n";

    private static readonly ulong[] s_edges =
    [
        0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 0x1_0000_0000, 0x1_0000_0001,
        0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, ulong.MaxValue, ulong.MaxValue - 1, 0xFFFF_FFFF_8000_0000, 1000, 0xDEAD_BEEF_1234_5678,
    ];

    /// <summary>Each program, and how many instructions must have lost their guard (so the facts are really used).</summary>
    private static IEnumerable<TestCaseData> Programs()
    {
        yield return Case("unsigned 64", Load + "jeq %r4, 0, out\nmov %r0, %r3\ndiv %r0, %r4\nmov %r5, %r3\nmod %r5, %r4\nlsh %r0, 1\nxor %r0, %r5\nout:\nexit", 2);
        yield return Case("signed 64, positive divisor", Load + "jsle %r4, 0, out\nmov %r0, %r3\nsdiv %r0, %r4\nmov %r5, %r3\nsmod %r5, %r4\nlsh %r0, 1\nxor %r0, %r5\nout:\nexit", 2);
        yield return Case("signed 64, negative divisor", Load + "jsge %r4, -1, out\nmov %r0, %r3\nsdiv %r0, %r4\nmov %r5, %r3\nsmod %r5, %r4\nlsh %r0, 1\nxor %r0, %r5\nout:\nexit", 2);
        yield return Case("signed 64, small dividend", Load + "jeq %r4, 0, out\nmov %r0, %r3\nand %r0, 0xffff\nsdiv %r0, %r4\nmov %r5, %r3\nrsh %r5, 1\nsmod %r5, %r4\nxor %r0, %r5\nout:\nexit", 2);
        yield return Case("32-bit, divisor stays live", Load + "jeq32 %r4, 0, out\nmov %r7, %r3\nsmod32 %r7, %r4\nmov %r0, %r3\nsdiv32 %r0, %r4\nmov %r6, %r3\ndiv32 %r6, %r4\nmod32 %r3, %r4\nxor %r0, %r7\nlsh %r0, 7\nxor %r0, %r6\nlsh %r0, 7\nxor %r0, %r3\nadd %r0, %r4\nout:\nexit", 4);
        yield return Case("loop of divisors", Load + "mov %r6, 20\nloop:\nmov %r5, %r3\ndiv %r5, %r6\nadd %r0, %r5\nmov %r5, %r3\nsmod %r5, %r6\nadd %r0, %r5\nmov %r5, %r3\nmod32 %r5, %r6\nadd %r0, %r5\nsub %r6, 1\njne %r6, 0, loop\nout:\nexit", 3);
        yield return Case("64-bit shifts", Load + "jgt %r4, 63, out\nmov %r0, %r3\nlsh %r0, %r4\nmov %r5, %r3\nrsh %r5, %r4\nxor %r0, %r5\nmov %r5, %r3\narsh %r5, %r4\nxor %r0, %r5\nout:\nexit", 0, shifts: 3);
        yield return Case("32-bit shifts", Load + "and %r4, 31\nmov %r0, %r3\nlsh32 %r0, %r4\nmov %r5, %r3\nrsh32 %r5, %r4\nlsh %r5, 32\nxor %r0, %r5\nmov %r5, %r3\narsh32 %r5, %r4\nxor %r0, %r5\nout:\nexit", 0, shifts: 3);
    }

    private static TestCaseData Case(string name, string source, int unguardedDivisions, int shifts = 0) =>
        new TestCaseData(source, unguardedDivisions, shifts).SetName($"ProvenFactsAgreeWithTheInterpreter({name})");

    [TestCaseSource(nameof(Programs))]
    public void ProvenFactsAgreeWithTheInterpreter(string source, int unguardedDivisions, int shifts)
    {
        var code = Assembler.Assemble(source);
        var verdict = ProgramVerifier.Verify(code);
        Assert.That(verdict.Diagnostics, Is.Empty, "the program was rejected");
        var facts = verdict.Facts;
        Assert.Multiple(() =>
        {
            Assert.That(facts.Count(InstructionFacts.DivisorNonZero), Is.EqualTo(unguardedDivisions), "divisions proven");
            Assert.That(facts.Count(InstructionFacts.ShiftCountInRange), Is.EqualTo(shifts), "shifts proven");
        });
        if (unguardedDivisions > 0)
        {
            string il = JitCompiler.DumpIL(new ProgramImage(code), ExecutionOptions.Default with { Checked = false, Facts = facts });
            Assert.That(il, Does.Not.Contain("Arithmetic::"), "every division lost its guard");
        }

        var image = new ProgramImage(code);
        var interpreter = InterpreterEngine.Instance.Prepare(image, ExecutionOptions.Default);
        var jit = JitEngine.Instance.Prepare(image, ExecutionOptions.Default with { Checked = false, Facts = facts });
        var random = new Random(4);
        var operands = s_edges.SelectMany(a => s_edges.Select(b => (a, b)))
            .Concat(Enumerable.Range(0, 500).Select(_ => ((ulong)random.NextInt64() << 1 ^ (ulong)random.Next(2), (ulong)random.Next(-70, 70))))
            .Concat(Enumerable.Range(0, 500).Select(_ => ((ulong)random.NextInt64(), (ulong)random.NextInt64() >> random.Next(64))));
        foreach (var (a, b) in operands)
        {
            var input = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(input, a);
            BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(8), b);
            var comparison = DifferentialRunner.Compare(interpreter, jit, input);
            Assert.That(comparison.Jit.Summary, Is.EqualTo(comparison.Interpreter.Summary), $"operands 0x{a:x}, 0x{b:x}");
        }
    }

    /// <summary>The shipped samples that run on raw memory, prepared unchecked through <see cref="BpfProgram.Prepare"/> (which hands the JIT the facts).</summary>
    [TestCase("loops", "sum_bytes_with_bpf_loop")]
    [TestCase("loops", "sum_of_squares_with_iterator")]
    public void SamplesPreparedWithTheirFactsAgreeWithTheInterpreter(string sample, string name)
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject(sample));
        var program = obj.Programs[name];
        var jit = program.Prepare(JitEngine.Instance, ExecutionOptions.Default with { Checked = false });
        var interpreter = program.Prepare(InterpreterEngine.Instance);
        Assert.That(jit.Options.Facts?.AreFor(program.Code), Is.True, "Prepare passed the program's own facts");
        foreach (int length in new[] { 0, 1, 5, 64, 100, 255 })
        {
            var input = Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();
            if (length == 1)
                input[0] = 100;
            var comparison = DifferentialRunner.Compare(interpreter, jit, input);
            Assert.That(comparison.Jit.Summary, Is.EqualTo(comparison.Interpreter.Summary), $"{length} bytes");
        }
    }
}
