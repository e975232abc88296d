namespace Bpf.Tests.Runtime;

/// <summary>
/// ALU and ALU64 semantics on every engine, each expectation worked out by hand from RFC 9669:
/// 32-bit results zero-extend, immediates sign-extend to 64 bits, division and modulo by zero and
/// signed overflow have defined results, shift counts are masked, byte-order operations truncate.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ArithmeticSemanticsTests(string engine)
{
    private ulong Run(string source) => Engines.Run(engine, source + "\nexit");

    [TestCase("mov %r0, -1", 0xffff_ffff_ffff_ffffUL, TestName = "mov64 sign-extends its immediate")]
    [TestCase("mov32 %r0, -1", 0xffff_ffffUL, TestName = "mov32 zero-extends")]
    [TestCase("lddw %r1, 0xffffffff12345678\nmov32 %r0, %r1", 0x1234_5678UL, TestName = "mov32 register takes the low half")]
    [TestCase("lddw %r0, 0x123456789abcdef0\nadd32 %r0, 1", 0x9abc_def1UL, TestName = "add32 clears the upper half")]
    [TestCase("lddw %r0, 0xffffffffffffffff\nadd %r0, 1", 0UL, TestName = "add64 wraps")]
    [TestCase("mov32 %r0, -1\nadd32 %r0, 1", 0UL, TestName = "add32 wraps at 32 bits")]
    [TestCase("mov %r0, 3\nsub %r0, 5", 0xffff_ffff_ffff_fffeUL, TestName = "sub64 below zero")]
    [TestCase("mov32 %r0, 3\nsub32 %r0, 5", 0xffff_fffeUL, TestName = "sub32 below zero")]
    [TestCase("lddw %r0, 0x100000001\nmul %r0, 16", 0x10_0000_0010UL, TestName = "mul64")]
    [TestCase("lddw %r0, 0x100000003\nmul32 %r0, 5", 15UL, TestName = "mul32 ignores the upper half")]
    [TestCase("mov %r0, 0\nor %r0, -1", 0xffff_ffff_ffff_ffffUL, TestName = "or64 immediate sign-extends")]
    [TestCase("mov %r0, 0\nor32 %r0, -1", 0xffff_ffffUL, TestName = "or32 immediate")]
    [TestCase("lddw %r0, 0xff00ff00ff00ff00\nand %r0, 0x0ff00ff0", 0x0f00_0f00UL, TestName = "and64 positive immediate")]
    [TestCase("lddw %r0, 0xff00ff00ff00ff00\nxor %r0, -1", 0x00ff_00ff_00ff_00ffUL, TestName = "xor64 with -1 inverts")]
    [TestCase("mov %r0, 1\nneg %r0", 0xffff_ffff_ffff_ffffUL, TestName = "neg64")]
    [TestCase("mov %r0, 1\nneg32 %r0", 0xffff_ffffUL, TestName = "neg32 zero-extends")]
    [TestCase("mov32 %r0, 0x80000000\nneg32 %r0", 0x8000_0000UL, TestName = "neg32 of INT_MIN")]
    public void Arithmetic(string source, ulong expected) => Assert.That(Run(source), Is.EqualTo(expected));

    [TestCase("mov %r0, 10\nmov %r1, 0\ndiv %r0, %r1", 0UL, TestName = "div64 by zero register is 0")]
    [TestCase("mov %r0, 10\ndiv %r0, 0", 0UL, TestName = "div64 by zero immediate is 0")]
    [TestCase("mov32 %r0, 10\nmov %r1, 0\ndiv32 %r0, %r1", 0UL, TestName = "div32 by zero register is 0")]
    [TestCase("mov %r0, 10\nmov %r1, 0\nmod %r0, %r1", 10UL, TestName = "mod64 by zero leaves the dividend")]
    [TestCase("lddw %r0, 0x100000007\nmov %r1, 0\nmod32 %r0, %r1", 7UL, TestName = "mod32 by zero register truncates the dividend")]
    [TestCase("lddw %r0, 0x100000007\nmod32 %r0, 0", 7UL, TestName = "mod32 by zero immediate truncates the dividend")]
    [TestCase("lddw %r0, 0x100000007\nmod %r0, 0", 0x1_0000_0007UL, TestName = "mod64 by zero immediate keeps all 64 bits")]
    [TestCase("lddw %r1, 0x100000000\nmov32 %r0, 5\nmod32 %r0, %r1", 5UL, TestName = "mod32 divisor uses only the low half (zero)")]
    [TestCase("mov %r0, 10\ndiv %r0, -1", 0UL, TestName = "div64 immediate -1 is 2^64-1 unsigned")]
    [TestCase("mov32 %r0, 10\ndiv32 %r0, -1", 0UL, TestName = "div32 immediate -1 is 2^32-1 unsigned")]
    [TestCase("lddw %r0, 0xfffffffffffffff6\ndiv %r0, 3", 0x5555_5555_5555_5552UL, TestName = "div64 is unsigned")]
    [TestCase("mov %r0, 100\nmod %r0, 7", 2UL, TestName = "mod64")]
    [TestCase("lddw %r0, 0x8000000000000000\nsdiv %r0, -1", 0x8000_0000_0000_0000UL, TestName = "sdiv64 INT_MIN by -1 immediate")]
    [TestCase("lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1", 0x8000_0000_0000_0000UL, TestName = "sdiv64 INT_MIN by -1 register")]
    [TestCase("lddw %r0, 0x8000000000000000\nsmod %r0, -1", 0UL, TestName = "smod64 INT_MIN by -1 immediate")]
    [TestCase("lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1", 0UL, TestName = "smod64 INT_MIN by -1 register")]
    [TestCase("mov32 %r0, 0x80000000\nsdiv32 %r0, -1", 0x8000_0000UL, TestName = "sdiv32 INT_MIN by -1 immediate")]
    [TestCase("mov32 %r0, 0x80000000\nmov %r1, -1\nsdiv32 %r0, %r1", 0x8000_0000UL, TestName = "sdiv32 INT_MIN by -1 register")]
    [TestCase("mov32 %r0, 0x80000000\nsmod32 %r0, -1", 0UL, TestName = "smod32 INT_MIN by -1")]
    [TestCase("mov %r0, -7\nsdiv %r0, 2", 0xffff_ffff_ffff_fffdUL, TestName = "sdiv64 truncates towards zero")]
    [TestCase("mov %r0, -7\nsmod %r0, 2", 0xffff_ffff_ffff_ffffUL, TestName = "smod64 takes the dividend's sign")]
    [TestCase("mov %r0, 7\nsmod %r0, -2", 1UL, TestName = "smod64 positive by negative")]
    [TestCase("mov32 %r0, -7\nsdiv32 %r0, 2", 0xffff_fffdUL, TestName = "sdiv32 zero-extends its negative result")]
    [TestCase("mov32 %r0, -7\nmov %r1, 2\nsmod32 %r0, %r1", 0xffff_ffffUL, TestName = "smod32 register")]
    [TestCase("mov %r0, -7\nsdiv %r0, 0", 0UL, TestName = "sdiv64 by zero is 0")]
    [TestCase("mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1", 0xffff_ffff_ffff_fff9UL, TestName = "smod64 by zero leaves the dividend")]
    [TestCase("lddw %r0, 0x1fffffff9\nsmod32 %r0, 0", 0xffff_fff9UL, TestName = "smod32 by zero truncates the dividend")]
    public void DivisionAndModulo(string source, ulong expected) => Assert.That(Run(source), Is.EqualTo(expected));

    [TestCase("mov %r0, 1\nlsh %r0, 63", 0x8000_0000_0000_0000UL, TestName = "lsh64 by 63")]
    [TestCase("mov %r0, 1\nlsh %r0, 64", 1UL, TestName = "lsh64 immediate 64 is masked to 0")]
    [TestCase("mov %r0, 1\nlsh %r0, 65", 2UL, TestName = "lsh64 immediate 65 is masked to 1")]
    [TestCase("mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1", 2UL, TestName = "lsh64 register count is masked")]
    [TestCase("mov %r0, 1\nmov %r1, -1\nlsh %r0, %r1", 0x8000_0000_0000_0000UL, TestName = "lsh64 register count -1 is 63")]
    [TestCase("mov32 %r0, 1\nlsh32 %r0, 33", 2UL, TestName = "lsh32 count is masked to 5 bits")]
    [TestCase("mov32 %r0, 1\nlsh32 %r0, 31", 0x8000_0000UL, TestName = "lsh32 stays in 32 bits")]
    [TestCase("lddw %r0, 0xffffffff00000010\nrsh32 %r0, 4", 1UL, TestName = "rsh32 works on the low half")]
    [TestCase("lddw %r0, 0x8000000000000000\nrsh %r0, 63", 1UL, TestName = "rsh64 is logical")]
    [TestCase("mov32 %r0, 0x80000000\narsh32 %r0, 4", 0xf800_0000UL, TestName = "arsh32 sign-fills within 32 bits")]
    [TestCase("lddw %r0, 0x8000000000000000\narsh %r0, 63", 0xffff_ffff_ffff_ffffUL, TestName = "arsh64 sign-fills")]
    [TestCase("lddw %r0, 0x8000000000000000\narsh %r0, 64", 0x8000_0000_0000_0000UL, TestName = "arsh64 count 64 is masked to 0")]
    [TestCase("mov32 %r0, 0x80000000\nmov %r1, 36\narsh32 %r0, %r1", 0xf800_0000UL, TestName = "arsh32 register count is masked")]
    public void Shifts(string source, ulong expected) => Assert.That(Run(source), Is.EqualTo(expected));

    [TestCase("mov %r1, 0x80\nmovsx864 %r0, %r1", 0xffff_ffff_ffff_ff80UL, TestName = "movsx864")]
    [TestCase("mov %r1, 0x7f\nmovsx864 %r0, %r1", 0x7fUL, TestName = "movsx864 positive")]
    [TestCase("mov %r1, 0x80\nmovsx832 %r0, %r1", 0xffff_ff80UL, TestName = "movsx832 zero-extends past 32 bits")]
    [TestCase("mov %r1, 0x8000\nmovsx1664 %r0, %r1", 0xffff_ffff_ffff_8000UL, TestName = "movsx1664")]
    [TestCase("mov %r1, 0x8000\nmovsx1632 %r0, %r1", 0xffff_8000UL, TestName = "movsx1632")]
    [TestCase("mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1", 0xffff_ffff_8000_0000UL, TestName = "movsx3264")]
    [TestCase("lddw %r1, 0x1234567800000001\nmovsx3264 %r0, %r1", 1UL, TestName = "movsx3264 ignores the upper half")]
    public void SignExtendingMoves(string source, ulong expected) => Assert.That(Run(source), Is.EqualTo(expected));

    [TestCase("le16", 0x7788UL)]
    [TestCase("le32", 0x5566_7788UL)]
    [TestCase("le64", 0x1122_3344_5566_7788UL)]
    [TestCase("be16", 0x8877UL)]
    [TestCase("be32", 0x8877_6655UL)]
    [TestCase("be64", 0x8877_6655_4433_2211UL)]
    [TestCase("bswap16", 0x8877UL)]
    [TestCase("bswap32", 0x8877_6655UL)]
    [TestCase("bswap64", 0x8877_6655_4433_2211UL)]
    public void ByteOrder(string mnemonic, ulong expected) =>
        Assert.That(Run($"lddw %r0, 0x1122334455667788\n{mnemonic} %r0"), Is.EqualTo(expected));
}
