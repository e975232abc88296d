using Bpf.Runtime;

namespace Bpf.Tests.Runtime;

/// <summary>Loads, stores, atomics and legacy packet loads on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class MemorySemanticsTests(string engine)
{
    private static byte[] Counting(int length) => Enumerable.Range(0, length).Select(i => (byte)(0x10 + i)).ToArray();

    [TestCase("ldxb", 0x44UL)]
    [TestCase("ldxh", 0x3344UL)]
    [TestCase("ldxw", 0x1122_3344UL)]
    [TestCase("ldxdw", 0x1122_3344UL)]
    public void StoresAreLittleEndianAndLoadsZeroExtend(string load, ulong expected) =>
        Assert.That(Engines.Run(engine, $"stdw [%r10-8], 0\nstw [%r10-8], 0x11223344\n{load} %r0, [%r10-8]\nexit"), Is.EqualTo(expected));

    [TestCase("ldxsb", 0xffff_ffff_ffff_ff80UL)]
    [TestCase("ldxsh", 0xffff_ffff_ffff_8080UL)]
    [TestCase("ldxsw", 0xffff_ffff_8080_8080UL)]
    public void SignExtendingLoads(string load, ulong expected) =>
        Assert.That(Engines.Run(engine, $"lddw %r1, 0x8080808080808080\nstxdw [%r10-8], %r1\n{load} %r0, [%r10-8]\nexit"), Is.EqualTo(expected));

    [Test]
    public void StdwSignExtendsItsImmediate() =>
        Assert.That(Engines.Run(engine, "stdw [%r10-8], -1\nldxdw %r0, [%r10-8]\nexit"), Is.EqualTo(ulong.MaxValue));

    [TestCase("stxb", 0x1111_1111_1111_1188UL)]
    [TestCase("stxh", 0x1111_1111_1111_7788UL)]
    [TestCase("stxw", 0x1111_1111_5566_7788UL)]
    [TestCase("stxdw", 0x1122_3344_5566_7788UL)]
    public void StoresWriteOnlyTheirSize(string store, ulong expected) =>
        Assert.That(Engines.Run(engine, $"""
            lddw %r1, 0x1111111111111111
            stxdw [%r10-8], %r1
            lddw %r2, 0x1122334455667788
            {store} [%r10-8], %r2
            ldxdw %r0, [%r10-8]
            exit
            """), Is.EqualTo(expected));

    [Test]
    public void UnalignedLoadFromInput() =>
        Assert.That(Engines.Run(engine, "ldxdw %r0, [%r1+1]\nexit", Counting(16)), Is.EqualTo(0x1817_1615_1413_1211UL));

    [Test]
    public void StoresToInputAreVisibleToTheHost()
    {
        var memory = new byte[8];
        Engines.Prepare(engine, "stw [%r1+2], 0x04030201\nmov %r0, 0\nexit").Run(memory);
        Assert.That(memory, Is.EqualTo(new byte[] { 0, 0, 1, 2, 3, 4, 0, 0 }));
    }

    [Test]
    public void R2IsTheInputLength() =>
        Assert.That(Engines.Run(engine, "mov %r0, %r2\nexit", new byte[37]), Is.EqualTo(37UL));

    [Test]
    public void NoInputMeansNullAndZero() =>
        Assert.That(Engines.Run(engine, "mov %r0, %r1\nor %r0, %r2\nexit"), Is.Zero);

    // Atomics: each case starts with [r10-8] = 0x0000000f0000000c and r1 = 0x0000000300000005.
    [TestCase("lock add [%r10-8], %r1", 0x12_0000_0011UL, 0x3_0000_0005UL)]
    [TestCase("lock fetch add [%r10-8], %r1", 0x12_0000_0011UL, 0xf_0000_000cUL)]
    [TestCase("lock or [%r10-8], %r1", 0xf_0000_000dUL, 0x3_0000_0005UL)]
    [TestCase("lock fetch or [%r10-8], %r1", 0xf_0000_000dUL, 0xf_0000_000cUL)]
    [TestCase("lock and [%r10-8], %r1", 0x3_0000_0004UL, 0x3_0000_0005UL)]
    [TestCase("lock fetch and [%r10-8], %r1", 0x3_0000_0004UL, 0xf_0000_000cUL)]
    [TestCase("lock xor [%r10-8], %r1", 0xc_0000_0009UL, 0x3_0000_0005UL)]
    [TestCase("lock fetch xor [%r10-8], %r1", 0xc_0000_0009UL, 0xf_0000_000cUL)]
    [TestCase("lock xchg [%r10-8], %r1", 0x3_0000_0005UL, 0xf_0000_000cUL)]
    [TestCase("lock add32 [%r10-8], %r1", 0xf_0000_0011UL, 0x3_0000_0005UL)]
    [TestCase("lock fetch add32 [%r10-8], %r1", 0xf_0000_0011UL, 0xcUL)]
    [TestCase("lock fetch or32 [%r10-8], %r1", 0xf_0000_000dUL, 0xcUL)]
    [TestCase("lock fetch and32 [%r10-8], %r1", 0xf_0000_0004UL, 0xcUL)]
    [TestCase("lock fetch xor32 [%r10-8], %r1", 0xf_0000_0009UL, 0xcUL)]
    [TestCase("lock xchg32 [%r10-8], %r1", 0xf_0000_0005UL, 0xcUL)]
    public void AtomicReadModifyWrite(string atomic, ulong memoryAfter, ulong r1After)
    {
        string source = $"""
            lddw %r2, 0x0000000f0000000c
            stxdw [%r10-8], %r2
            lddw %r1, 0x0000000300000005
            {atomic}
            ldxdw %r0, [%r10-8]
            stxdw [%r10-16], %r1
            exit
            """;
        ulong memory = Engines.Run(engine, source);
        ulong r1 = Engines.Run(engine, source.Replace("ldxdw %r0, [%r10-8]", "mov %r0, %r1", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(memory, Is.EqualTo(memoryAfter), "memory");
            Assert.That(r1, Is.EqualTo(r1After), "source register");
        });
    }

    [Test]
    public void Add32WrapsWithinItsWord() =>
        Assert.That(Engines.Run(engine, "stdw [%r10-8], -1\nmov %r1, 1\nlock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit"),
            Is.EqualTo(0xffff_ffff_0000_0000UL));

    [Test]
    public void CmpxchgSwapsWhenEqualAndReturnsTheOldValue() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], 7
            mov %r0, 7
            mov %r1, 9
            lock cmpxchg [%r10-8], %r1
            ldxdw %r2, [%r10-8]
            lsh %r0, 8
            or %r0, %r2
            exit
            """), Is.EqualTo(0x709UL));

    [Test]
    public void CmpxchgLeavesMemoryWhenDifferent() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], 7
            mov %r0, 8
            mov %r1, 9
            lock cmpxchg [%r10-8], %r1
            ldxdw %r2, [%r10-8]
            lsh %r0, 8
            or %r0, %r2
            exit
            """), Is.EqualTo(0x707UL));

    [Test]
    public void Cmpxchg32ComparesTheLowHalfAndZeroExtends() =>
        Assert.That(Engines.Run(engine, """
            stdw [%r10-8], -1
            lddw %r0, 0x12345678ffffffff
            mov %r1, 0
            lock cmpxchg32 [%r10-8], %r1
            ldxdw %r2, [%r10-8]
            lddw %r3, 0xffffffff00000000
            jne %r2, %r3, fail
            exit
            fail:
            mov %r0, 0
            exit
            """), Is.EqualTo(0xffff_ffffUL));

    [TestCase("b", 0x88UL)]
    [TestCase("h", 0x7788UL)]
    [TestCase("w", 0x5566_7788UL)]
    [TestCase("dw", 0x1122_3344_5566_7788UL)]
    public void StoreReleaseThenLoadAcquire(string size, ulong expected) =>
        Assert.That(Engines.Run(engine, $"""
            stdw [%r10-8], 0
            lddw %r1, 0x1122334455667788
            strel{size} [%r10-8], %r1
            ldacq{size} %r0, [%r10-8]
            exit
            """), Is.EqualTo(expected));

    [Test]
    public void AtomicAddFromTwoThreadsLosesNoUpdate()
    {
        const int iterations = 200_000;
        var program = Engines.Prepare(engine, $"""
            mov %r2, {iterations}
            mov %r3, 1
            loop:
            lock add [%r1+0], %r3
            lock add32 [%r1+8], %r3
            sub %r2, 1
            jne %r2, 0, loop
            mov %r0, 0
            exit
            """, ExecutionOptions.Default with { InstructionBudget = 10 * iterations });
        var shared = new byte[16];
        var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            program.Run(shared);
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt64(shared, 0), Is.EqualTo(2UL * iterations), "64-bit");
            Assert.That(BitConverter.ToUInt32(shared, 8), Is.EqualTo(2U * iterations), "32-bit");
        });
    }

    [TestCase("ldabsb 1", 0x22UL)]
    [TestCase("ldabsh 1", 0x2233UL)]
    [TestCase("ldabsw 0", 0x1122_3344UL)]
    [TestCase("mov %r3, 2\nldindh %r3, 1", 0x4455UL)]
    [TestCase("mov %r3, -1\nldindb %r3, 2", 0x22UL)]
    public void LegacyPacketLoadsReadNetworkOrder(string load, ulong expected) =>
        Assert.That(Engines.Run(engine, $"{load}\nexit", [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]), Is.EqualTo(expected));

    [TestCase("ldabsw 3")]
    [TestCase("ldabsb 6")]
    [TestCase("mov %r3, -10\nldindb %r3, 2")]
    public void LegacyPacketLoadOutsideThePacketEndsTheProgramWithZero(string load) =>
        Assert.That(Engines.Run(engine, $"mov %r0, 7\n{load}\nmov %r0, 9\nexit", [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]), Is.Zero);

    [Test]
    public void LegacyPacketLoadOutsideThePacketEndsTheProgramFromACallee() =>
        Assert.That(Engines.Run(engine, "call local f\nmov %r0, 9\nexit\nf:\nldabsw 100\nexit", [1, 2, 3, 4]), Is.Zero);
}
