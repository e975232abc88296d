using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary><c>bpf_loop</c> on every engine, with Linux's limits and return values.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class CallbackHelperTests(string engine)
{
    // bpf_loop(n, add_index, ctx = memory, flags); the callback adds index + 1 to the u64 at ctx and
    // stops (returns 1) once the index reaches the u64 at ctx + 8.
    private static string Loop(string loops, string flags = "0") => $"""
        mov %r6, %r1
        lddw %r1, {loops}
        lddw %r2, func(add_index)
        mov %r3, %r6
        lddw %r4, {flags}
        call 181
        exit
        add_index:
        ldxdw %r3, [%r2+0]
        add %r3, %r1
        add %r3, 1
        stxdw [%r2+0], %r3
        ldxdw %r4, [%r2+8]
        mov %r0, 0
        jlt %r1, %r4, +1
        mov %r0, 1
        exit
        """;

    private static byte[] Memory(ulong stopAt = ulong.MaxValue)
    {
        var memory = new byte[16];
        BitConverter.TryWriteBytes(memory.AsSpan(8), stopAt);
        return memory;
    }

    [Test]
    public void CallsTheCallbackWithEachIndexAndTheContext()
    {
        var memory = Memory();
        ulong result = Run(engine, Loop("10"), memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(10UL), "the number of iterations");
            Assert.That(BitConverter.ToUInt64(memory), Is.EqualTo(55UL), "1 + 2 + ... + 10");
        });
    }

    [Test]
    public void StopsWhenTheCallbackReturnsOne()
    {
        var memory = Memory(stopAt: 3);
        ulong result = Run(engine, Loop("10"), memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(4UL), "indexes 0 to 3 ran: Linux returns i + 1");
            Assert.That(BitConverter.ToUInt64(memory), Is.EqualTo(10UL));
        });
    }

    [Test]
    public void ZeroLoopsCallNothing()
    {
        var memory = Memory();
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Loop("0"), memory), Is.Zero);
            Assert.That(BitConverter.ToUInt64(memory), Is.Zero);
        });
    }

    [Test]
    public void TheCountIsThirtyTwoBits()
    {
        var memory = Memory();
        Assert.That(Run(engine, Loop("0x100000003"), memory), Is.EqualTo(3UL), "nr_loops is a u32");
    }

    [Test]
    public void MoreThanTwoToTheTwentyThreeLoopsIsTooBig()
    {
        var memory = Memory();
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Loop("8388609"), memory), Is.EqualTo(Error(Errno.E2BIG)));
            Assert.That(BitConverter.ToUInt64(memory), Is.Zero, "nothing ran");
        });
    }

    [Test]
    public void FlagsMustBeZero()
    {
        var memory = Memory();
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Loop("3", flags: "1"), memory), Is.EqualTo(Error(Errno.EINVAL)));
            Assert.That(Run(engine, Loop("3", flags: "0x100000000"), memory), Is.EqualTo(Error(Errno.EINVAL)), "flags are 64 bits");
            Assert.That(BitConverter.ToUInt64(memory), Is.Zero);
        });
    }

    [Test]
    public void ANumberThatIsNotAFunctionStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "mov %r1, 2\nmov %r2, 77\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit"));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.BadCallTarget));
    }

    [Test]
    public void ARunawayCallbackIsStoppedByTheBudget()
    {
        var options = Checked with { InstructionBudget = 10_000 };
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, Loop("8388608"), Memory(), options));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.BudgetExhausted));
    }
}
