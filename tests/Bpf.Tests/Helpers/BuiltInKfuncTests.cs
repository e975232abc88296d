using Bpf.Helpers;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// The built-in kfuncs on every engine, called as programs call them (<c>call kfunc i</c> with the
/// image's kfunc table): the number iterator, whose results and iteration counts for these ranges
/// are what Linux 6.18 gave (recorded on this machine; <c>int</c> results come back zero-extended),
/// and the <c>mem*</c> functions clang emits calls to.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class BuiltInKfuncTests(string engine)
{
    private static readonly string[] Iterator = ["bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy"];

    /// <summary>
    /// bpf_for(i, start, end) sum += i, with the iterator at r10-8; r0 = sum, and new()'s result in
    /// the input memory's first 8 bytes, the number of iterations in the next 8.
    /// </summary>
    private static string SumOver(int start, int end) => $"""
        mov %r9, %r1
        mov %r1, %r10
        add %r1, -8
        mov %r2, {start}
        mov %r3, {end}
        call kfunc 0
        stxdw [%r9+0], %r0
        mov %r6, 0
        mov %r7, 0
        next:
        mov %r1, %r10
        add %r1, -8
        call kfunc 1
        jeq %r0, 0, done
        ldxw %r2, [%r0+0]
        lsh %r2, 32
        arsh %r2, 32
        add %r6, %r2
        add %r7, 1
        ja next
        done:
        stxdw [%r9+8], %r7
        mov %r1, %r10
        add %r1, -8
        call kfunc 2
        mov %r0, %r6
        exit
        """;

    private static long IntError(int errno) => (uint)-errno;

    private (long Sum, long Created, long Iterations) Sum(int start, int end)
    {
        var memory = new byte[16];
        long sum = (long)Run(engine, SumOver(start, end), memory, kfuncs: Iterator);
        return (sum, BitConverter.ToInt64(memory, 0), BitConverter.ToInt64(memory, 8));
    }

    /// <summary>new(start, end)'s result alone.</summary>
    private long Create(int start, int end) => (long)Run(engine, $"""
        mov %r1, %r10
        add %r1, -8
        mov %r2, {start}
        mov %r3, {end}
        call kfunc 0
        mov %r6, %r0
        mov %r1, %r10
        add %r1, -8
        call kfunc 2
        mov %r0, %r6
        exit
        """, kfuncs: Iterator);

    [Test]
    public void IteratesFromStartToBeforeEnd()
    {
        Assert.That(Sum(2, 7), Is.EqualTo((2L + 3 + 4 + 5 + 6, 0L, 5L)));
    }

    [Test]
    public void NegativeRangesWork()
    {
        Assert.That(Sum(-3, 2), Is.EqualTo((-3L - 2 - 1 + 0 + 1, 0L, 5L)));
    }

    [Test]
    public void AnEmptyRangeIsFine()
    {
        Assert.That(Sum(4, 4), Is.EqualTo((0L, 0L, 0L)));
    }

    [Test]
    public void StartAfterEndIsInvalidAndIteratesNothing()
    {
        Assert.That(Sum(5, 4), Is.EqualTo((0L, IntError(Errno.EINVAL), 0L)));
    }

    [Test]
    public void RangesLongerThanTwoToTheTwentyThreeAreTooBig()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Sum(int.MinValue, int.MaxValue), Is.EqualTo((0L, IntError(Errno.E2BIG), 0L)));
            Assert.That(Create(0, (1 << 23) + 1), Is.EqualTo(IntError(Errno.E2BIG)));
            Assert.That(Create(0, 1 << 23), Is.Zero, "exactly 2^23 is allowed");
        });
    }

    [Test]
    public void TheTopOfTheIntRangeDoesNotOverflow()
    {
        Assert.That(Sum(int.MaxValue - 2, int.MaxValue), Is.EqualTo((2L * int.MaxValue - 3, 0L, 2L)));
        Assert.That(Sum(int.MinValue, int.MinValue + 2), Is.EqualTo((2L * int.MinValue + 1, 0L, 2L)));
    }

    [Test]
    public void NextPointsIntoTheIteratorStateAndTheStateIsLinuxsLayout()
    {
        // After new(10, 13) and one next(): cur = 10 at offset 0, end = 13 at offset 4; next() returns &cur.
        var memory = new byte[16];
        ulong result = Run(engine, """
            mov %r9, %r1
            mov %r1, %r10
            add %r1, -8
            mov %r2, 10
            mov %r3, 13
            call kfunc 0
            mov %r1, %r10
            add %r1, -8
            call kfunc 1
            mov %r1, %r10
            add %r1, -8
            sub %r0, %r1
            ldxdw %r2, [%r10-8]
            stxdw [%r9+0], %r2
            exit
            """, memory, kfuncs: Iterator);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero, "next() returned the iterator's own address");
            Assert.That(BitConverter.ToInt32(memory, 0), Is.EqualTo(10));
            Assert.That(BitConverter.ToInt32(memory, 4), Is.EqualTo(13));
        });
    }

    [Test]
    public void DestroyEmptiesTheIterator()
    {
        ulong result = Run(engine, """
            mov %r1, %r10
            add %r1, -8
            mov %r2, 0
            mov %r3, 100
            call kfunc 0
            mov %r1, %r10
            add %r1, -8
            call kfunc 2
            ldxdw %r6, [%r10-8]
            mov %r1, %r10
            add %r1, -8
            call kfunc 1
            or %r0, %r6
            exit
            """, kfuncs: Iterator);
        Assert.That(result, Is.Zero, "the state is zeroed and next() gives null");
    }

    [Test]
    public void AnIteratorOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "lddw %r1, 0x1000\nmov %r2, 0\nmov %r3, 3\ncall kfunc 0\nexit", kfuncs: Iterator));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    private static readonly string[] Memory = ["memset", "memcpy", "memmove", "memcmp"];

    private static byte[] Numbered(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

    [Test]
    public void MemsetFillsWithTheLowByteAndReturnsTheDestination()
    {
        var memory = Numbered(16);
        ulong result = Run(engine, "mov %r6, %r1\nadd %r1, 4\nmov %r2, 0x1AB\nmov %r3, 8\ncall kfunc 0\nsub %r0, %r6\nexit", memory, kfuncs: Memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(4UL));
            Assert.That(memory, Is.EqualTo(new byte[] { 0, 1, 2, 3, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 12, 13, 14, 15 }));
        });
    }

    [Test]
    public void MemcpyCopies()
    {
        var memory = Numbered(16);
        ulong result = Run(engine, "mov %r6, %r1\nmov %r2, %r1\nadd %r2, 8\nmov %r3, 4\ncall kfunc 1\nsub %r0, %r6\nexit", memory, kfuncs: Memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(memory[..8], Is.EqualTo(new byte[] { 8, 9, 10, 11, 4, 5, 6, 7 }));
        });
    }

    [TestCase(2, 0, TestName = "{m}(forwards)")]
    [TestCase(0, 2, TestName = "{m}(backwards)")]
    public void MemmoveHandlesOverlap(int destination, int source)
    {
        var memory = Numbered(12);
        Run(engine, $"mov %r6, %r1\nadd %r1, {destination}\nmov %r2, %r6\nadd %r2, {source}\nmov %r3, 8\ncall kfunc 2\nexit", memory, kfuncs: Memory);
        var expected = Numbered(12);
        Array.Copy(Numbered(12), source, expected, destination, 8);
        Assert.That(memory, Is.EqualTo(expected));
    }

    [TestCase(new byte[] { 1, 2, 3 }, new byte[] { 1, 2, 3 }, 0L)]
    [TestCase(new byte[] { 1, 2, 3 }, new byte[] { 1, 5, 3 }, 0xFFFF_FFFDL)]
    [TestCase(new byte[] { 0xFF, 0, 0 }, new byte[] { 0x01, 0, 0 }, 0xFEL)]
    public void MemcmpGivesTheFirstDifference(byte[] a, byte[] b, long expected)
    {
        var memory = a.Concat(new byte[5]).Concat(b).ToArray();
        ulong result = Run(engine, "mov %r2, %r1\nadd %r2, 8\nmov %r3, 3\ncall kfunc 3\nexit", memory, kfuncs: Memory);
        Assert.That((long)result, Is.EqualTo(expected), "the unsigned bytes' difference, as Linux's memcmp, in 32 bits");
    }

    [TestCase("mov %r2, 0\nmov %r3, 17\ncall kfunc 0", TestName = "{m}(memset)")]
    [TestCase("mov %r2, %r1\nadd %r1, 8\nmov %r3, 9\ncall kfunc 1", TestName = "{m}(memcpy destination)")]
    [TestCase("mov %r2, %r1\nadd %r2, 8\nmov %r3, 9\ncall kfunc 2", TestName = "{m}(memmove source)")]
    [TestCase("mov %r2, %r1\nadd %r2, 1\nmov %r3, 16\ncall kfunc 3", TestName = "{m}(memcmp)")]
    public void RangesOutsideProgramMemoryStopTheProgram(string call)
    {
        var memory = new byte[16];
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, call + "\nexit", memory, kfuncs: Memory));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
            Assert.That(memory, Is.All.Zero, "nothing was written");
        });
    }
}
