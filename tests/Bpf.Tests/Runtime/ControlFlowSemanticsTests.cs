using Bpf.Helpers;
using Bpf.Runtime;

namespace Bpf.Tests.Runtime;

/// <summary>Jumps, calls and exit on every engine: comparisons at both widths, loops, local calls, helpers.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ControlFlowSemanticsTests(string engine)
{
    /// <summary>Runs <paramref name="setup"/>, then a jump that returns 1 when taken and 0 otherwise.</summary>
    private ulong Taken(string setup, string jump) =>
        Engines.Run(engine, $"{setup}\n{jump}, taken\nmov %r0, 0\nexit\ntaken:\nmov %r0, 1\nexit");

    [TestCase("lddw %r1, 0xffffffffffffffff", "jeq %r1, -1", 1UL, TestName = "jeq64 immediate sign-extends")]
    [TestCase("mov32 %r1, -1", "jeq %r1, -1", 0UL, TestName = "jeq64 sees the zero upper half")]
    [TestCase("mov32 %r1, -1", "jeq32 %r1, -1", 1UL, TestName = "jeq32 compares low halves")]
    [TestCase("lddw %r1, 0x100000000", "jeq32 %r1, 0", 1UL, TestName = "jeq32 ignores the upper half")]
    [TestCase("lddw %r1, 0x100000000", "jne %r1, 0", 1UL, TestName = "jne64")]
    [TestCase("mov %r1, -1", "jgt %r1, 5", 1UL, TestName = "jgt is unsigned")]
    [TestCase("mov %r1, -1", "jsgt %r1, 5", 0UL, TestName = "jsgt is signed")]
    [TestCase("mov %r1, 5", "jge %r1, 5", 1UL, TestName = "jge equal")]
    [TestCase("mov %r1, 4", "jlt %r1, 5", 1UL, TestName = "jlt")]
    [TestCase("mov %r1, -1", "jlt %r1, 5", 0UL, TestName = "jlt unsigned with a negative value")]
    [TestCase("mov %r1, -1", "jslt %r1, 5", 1UL, TestName = "jslt with a negative value")]
    [TestCase("mov %r1, 5", "jle %r1, 5", 1UL, TestName = "jle equal")]
    [TestCase("mov %r1, -5", "jsle %r1, -5", 1UL, TestName = "jsle equal negative")]
    [TestCase("mov %r1, -5", "jsge %r1, -6", 1UL, TestName = "jsge")]
    [TestCase("mov %r1, 6", "jset %r1, 2", 1UL, TestName = "jset")]
    [TestCase("mov %r1, 5", "jset %r1, 2", 0UL, TestName = "jset not taken")]
    [TestCase("lddw %r1, 0x100000000", "jset32 %r1, -1", 0UL, TestName = "jset32 uses the low half")]
    [TestCase("mov32 %r1, -1", "jslt32 %r1, 0", 1UL, TestName = "jslt32 sees 0xffffffff as -1")]
    [TestCase("mov32 %r1, -1", "jslt %r1, 0", 0UL, TestName = "jslt64 sees 0xffffffff as positive")]
    [TestCase("mov32 %r1, -1", "jsgt32 %r1, -2", 1UL, TestName = "jsgt32")]
    [TestCase("mov32 %r1, 1", "jgt32 %r1, -1", 0UL, TestName = "jgt32 unsigned against 0xffffffff")]
    [TestCase("mov %r1, 3\nmov %r2, 3", "jeq %r1, %r2", 1UL, TestName = "jeq register")]
    [TestCase("lddw %r1, 0x100000003\nmov %r2, 3", "jeq32 %r1, %r2", 1UL, TestName = "jeq32 register")]
    [TestCase("mov %r1, -1\nmov %r2, 1", "jsgt %r1, %r2", 0UL, TestName = "jsgt register")]
    [TestCase("mov %r1, -1\nmov %r2, 1", "jgt %r1, %r2", 1UL, TestName = "jgt register")]
    public void ConditionalJump(string setup, string jump, ulong expected) => Assert.That(Taken(setup, jump), Is.EqualTo(expected));

    [Test]
    public void BackwardLoopSumsOneToTen() =>
        Assert.That(Engines.Run(engine, """
            mov %r0, 0
            mov %r1, 10
            loop:
            add %r0, %r1
            sub %r1, 1
            jne %r1, 0, loop
            exit
            """), Is.EqualTo(55UL));

    [Test]
    public void Ja32JumpsByItsImmediate() =>
        Assert.That(Engines.Run(engine, "mov %r0, 1\nja32 +1\nmov %r0, 2\nexit"), Is.EqualTo(1UL));

    [Test]
    public void LocalCallPassesArgumentsAndPreservesCalleeSavedRegisters() =>
        Assert.That(Engines.Run(engine, """
            mov %r1, 40
            mov %r2, 2
            mov %r6, 100
            mov %r9, 900
            call local add
            add %r0, %r6
            add %r0, %r9
            exit
            add:
            mov %r6, 0
            mov %r9, 0
            mov %r0, %r1
            add %r0, %r2
            exit
            """), Is.EqualTo(42UL + 100 + 900));

    [Test]
    public void CalleeStartsWithZeroedCalleeSavedRegistersAndR0() =>
        Assert.That(Engines.Run(engine, """
            mov %r0, 5
            mov %r6, 6
            mov %r7, 7
            mov %r8, 8
            mov %r9, 9
            call local f
            exit
            f:
            add %r0, %r6
            add %r0, %r7
            add %r0, %r8
            add %r0, %r9
            exit
            """), Is.Zero);

    [Test]
    public void EachCallGetsItsOwnStackFrame() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], 11
            call local f
            ldxdw %r1, [%r10-8]
            add %r0, %r1
            exit
            f:
            ldxdw %r0, [%r10-8]
            stdw [%r10-8], 22
            exit
            """), Is.EqualTo(11UL), "the callee's frame starts zeroed (checked mode) and its store does not touch the caller's frame");

    [Test]
    public void CalleeCanWriteThroughAPointerToTheCallersFrame() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], 1
            mov %r1, %r10
            sub %r1, 8
            call local f
            ldxdw %r0, [%r10-8]
            exit
            f:
            stdw [%r1+0], 77
            exit
            """), Is.EqualTo(77UL));

    [Test]
    public void CallsNestEightFramesDeep()
    {
        var source = new System.Text.StringBuilder("mov %r0, 0\ncall local f1\nexit\n");
        for (int i = 1; i < 8; i++)
        {
            source.Append($"f{i}:\n");
            if (i < 7)
                source.Append($"call local f{i + 1}\n");
            source.Append("add %r0, 1\nstdw [%r10-512], 1\nexit\n");
        }

        Assert.That(Engines.Run(engine, source.ToString()), Is.EqualTo(7UL), "the innermost callee returns 1 and each of the six frames above it adds 1");
    }

    [Test]
    public void StaticHelperReceivesItsArguments()
    {
        var helpers = HelperRegistry.CreateDefault().Register(1000, "test_mix", TestHelpers.Mix);
        ulong result = Engines.Run(engine, "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 1000\nexit",
            options: ExecutionOptions.Default with { Helpers = helpers });
        Assert.That(result, Is.EqualTo(TestHelpers.Mix(1, 2, 3, 4, 5, null!)));
    }

    [Test]
    public void ClosureHelperIsCalledThroughItsDelegate()
    {
        ulong seen = 0;
        var helpers = HelperRegistry.CreateDefault().Register(1001, "test_closure", (r1, r2, r3, r4, r5, inv) =>
        {
            seen = r1;
            return r1 * 2;
        });
        ulong result = Engines.Run(engine, "mov %r1, 21\ncall 1001\nexit", options: ExecutionOptions.Default with { Helpers = helpers });
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(42UL));
            Assert.That(seen, Is.EqualTo(21UL));
        });
    }

    [Test]
    public void HelperFiveReturnsNonZero() =>
        Assert.That(Engines.Run(engine, "call 5\nexit"), Is.Not.Zero);

    [Test]
    public void CallxCallsTheHelperNumberedByTheRegister() =>
        Assert.That(Engines.Run(engine, "mov %r2, 5\ncall %r2\njne %r0, 0, +1\nexit\nmov %r0, 9\nexit"), Is.EqualTo(9UL));

    [Test]
    public void CallxToAnUnknownNumberTraps()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Engines.Run(engine, "mov %r0, 0\nmov %r2, 99999\ncall %r2\nexit"));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.BadCallTarget));
            Assert.That(error.InstructionIndex, Is.EqualTo(2));
        });
    }

    [Test]
    public void CallToAnUnregisteredHelperIsRejectedBeforeRunning()
    {
        var error = Assert.Throws<UnresolvedReferenceException>(() => Engines.Prepare(engine, "mov %r0, 0\ncall 4242\nexit"));
        Assert.That(error!.InstructionIndex, Is.EqualTo(1));
    }

    [TestCase("lddw %r1, map_fd(3)")]
    [TestCase("lddw %r1, map_value(3+8)")]
    [TestCase("lddw %r1, map_idx(0)")]
    [TestCase("lddw %r1, btf_id(7)")]
    public void UnresolvedPseudoLoadsAreRejectedBeforeRunning(string load)
    {
        var error = Assert.Throws<UnresolvedReferenceException>(() => Engines.Prepare(engine, $"{load}\nmov %r0, 0\nexit\nf:\nexit"));
        Assert.That(error!.InstructionIndex, Is.EqualTo(0));
    }

    [Test]
    public void KfuncCallIsRejectedBeforeRunning() =>
        Assert.Throws<UnresolvedReferenceException>(() => Engines.Prepare(engine, "call kfunc 1234\nexit"));
}

/// <summary>Helpers for tests, as public static methods so the JIT calls them directly.</summary>
public static class TestHelpers
{
    /// <summary>A deterministic mix of the arguments, so each one's position matters.</summary>
    public static ulong Mix(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        r1 + 10 * r2 + 100 * r3 + 1000 * r4 + 10000 * r5;
}
