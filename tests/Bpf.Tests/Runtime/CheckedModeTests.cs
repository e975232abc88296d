using Bpf.Runtime;

namespace Bpf.Tests.Runtime;

/// <summary>
/// Checked mode on every engine: a wild pointer stops the program with an error naming the
/// instruction instead of touching host memory, and a runaway loop stops at the budget.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class CheckedModeTests(string engine)
{
    private BpfRuntimeException Trap(string source, byte[]? memory = null, ExecutionOptions? options = null) =>
        Assert.Throws<BpfRuntimeException>(() => Engines.Run(engine, source, memory, options))!;

    [TestCase("ldxw %r0, [%r1+0]", -1, TestName = "a load at the start of the input")]
    [TestCase("ldxw %r0, [%r1+4]", -1, TestName = "a load that ends at the end of the input")]
    [TestCase("ldxw %r0, [%r1+5]", 1, TestName = "a load that runs one byte past the input")]
    [TestCase("ldxb %r0, [%r1-1]", 1, TestName = "a load one byte before the input")]
    [TestCase("stdw [%r10-512], 1", -1, TestName = "a store at the bottom of the frame")]
    [TestCase("stdw [%r10-513], 1", 1, TestName = "a store one byte below the frame")]
    [TestCase("stb [%r10+0], 1", 1, TestName = "a store at the frame pointer")]
    [TestCase("ldxdw %r0, [%r10-4]", 1, TestName = "a load straddling the frame's end")]
    [TestCase("mov %r1, 0\nldxdw %r0, [%r1+0]", 2, TestName = "a null load")]
    [TestCase("lddw %r1, 0x7fff00001000\nstxdw [%r1+0], %r1", 3, TestName = "a store to a wild address")]
    public void AccessesAreBoundsChecked(string access, int faultingSlot)
    {
        string source = $"mov %r0, 0\n{access}\nmov %r0, 1\nexit";
        if (faultingSlot < 0)
        {
            Assert.That(Engines.Run(engine, source, new byte[8]), Is.EqualTo(1UL));
            return;
        }

        var error = Trap(source, new byte[8]);
        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(TrapKind.OutOfBounds));
            Assert.That(error.InstructionIndex, Is.EqualTo(faultingSlot));
            Assert.That(error.Message, Does.StartWith($"instruction {faultingSlot}:"));
        });
    }

    [Test]
    public void AtomicOnAMisalignedAddressTraps()
    {
        var error = Trap("mov %r1, 1\nlock add [%r10-12], %r1\nmov %r0, 0\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(TrapKind.Misaligned));
            Assert.That(error.InstructionIndex, Is.EqualTo(1));
        });
    }

    [Test]
    public void AFrameIsNotAccessibleAfterItsFunctionReturns()
    {
        var error = Trap("""
            call local f
            ldxdw %r0, [%r0-8]
            exit
            f:
            mov %r0, %r10
            exit
            """);
        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(TrapKind.OutOfBounds));
            Assert.That(error.InstructionIndex, Is.EqualTo(1));
        });
    }

    [Test]
    public void CallerFrameStaysAccessibleDuringACall() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], 5
            mov %r1, %r10
            call local f
            exit
            f:
            ldxdw %r0, [%r1-8]
            exit
            """), Is.EqualTo(5UL));

    [Test]
    public void StackFramesStartZeroed() =>
        Assert.That(Engines.Run(engine, """
            mov %r0, 0
            mov %r1, -512
            loop:
            mov %r2, %r10
            add %r2, %r1
            ldxb %r3, [%r2+0]
            or %r0, %r3
            add %r1, 1
            jne %r1, 0, loop
            exit
            """), Is.Zero);

    [Test]
    public void RunawayLoopStopsAtTheBudget()
    {
        var error = Trap("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit", options: ExecutionOptions.Default with { InstructionBudget = 10_000 });
        Assert.Multiple(() =>
        {
            Assert.That(error.Kind, Is.EqualTo(TrapKind.BudgetExhausted));
            Assert.That(error.InstructionIndex, Is.AnyOf(1, 2));
        });
    }

    [Test]
    public void DefaultBudgetStopsAnInfiniteLoop() =>
        Assert.That(Trap("ja -1\nexit").Kind, Is.EqualTo(TrapKind.BudgetExhausted));

    [Test]
    public void BudgetCoversLoopsInCallees()
    {
        var error = Trap("call local f\nexit\nf:\nmov %r0, 1\nja -2\nexit", options: ExecutionOptions.Default with { InstructionBudget = 1_000 });
        Assert.That(error.Kind, Is.EqualTo(TrapKind.BudgetExhausted));
    }

    [Test]
    public void ALoopWithinTheBudgetCompletes() =>
        Assert.That(Engines.Run(engine, "mov %r0, 0\nmov %r1, 100\nloop:\nadd %r0, 2\nsub %r1, 1\njne %r1, 0, loop\nexit",
            options: ExecutionOptions.Default with { InstructionBudget = 1_000 }), Is.EqualTo(200UL));

    [Test]
    public void UncheckedModeRunsTheSameProgramsWithoutChecks()
    {
        var options = ExecutionOptions.Default with { Safety = ProgramSafety.Trusted };
        var memory = new byte[16];
        ulong result = Engines.Prepare(engine, """
            stdw [%r10-8], 40
            ldxdw %r0, [%r10-8]
            stw [%r1+12], 2
            ldxw %r2, [%r1+12]
            add %r0, %r2
            exit
            """, options).Run(memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(42UL));
            Assert.That(memory[12], Is.EqualTo(2));
        });
    }
}
