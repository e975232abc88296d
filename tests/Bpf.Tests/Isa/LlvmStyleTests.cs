using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>The llvm-objdump style, one instruction of each kind, expectations written by hand.</summary>
[TestFixture]
public sealed class LlvmStyleTests
{
    [TestCase("add %r0, %r1", "r0 += r1")]
    [TestCase("add32 %r0, %r1", "w0 += w1")]
    [TestCase("sub %r0, 5", "r0 -= 5")]
    [TestCase("mul32 %r2, -3", "w2 *= -3")]
    [TestCase("div %r0, %r1", "r0 /= r1")]
    [TestCase("sdiv %r0, %r1", "r0 s/= r1")]
    [TestCase("mod %r0, 3", "r0 %= 3")]
    [TestCase("smod %r0, %r1", "r0 s%= r1")]
    [TestCase("smod32 %r0, %r1", "w0 s%= w1")]
    [TestCase("or %r0, %r1", "r0 |= r1")]
    [TestCase("and %r0, 0xff", "r0 &= 255")]
    [TestCase("xor32 %r0, %r1", "w0 ^= w1")]
    [TestCase("lsh %r0, 3", "r0 <<= 3")]
    [TestCase("rsh %r0, %r1", "r0 >>= r1")]
    [TestCase("arsh %r0, %r1", "r0 s>>= r1")]
    [TestCase("arsh32 %r0, 31", "w0 s>>= 31")]
    [TestCase("neg %r0", "r0 = -r0")]
    [TestCase("neg32 %r0", "w0 = -w0")]
    [TestCase("mov %r0, %r1", "r0 = r1")]
    [TestCase("mov %r0, -1", "r0 = -1")]
    [TestCase("mov32 %r0, %r1", "w0 = w1")]
    [TestCase("movsx864 %r0, %r1", "r0 = (s8)r1")]
    [TestCase("movsx1632 %r0, %r1", "w0 = (s16)w1")]
    [TestCase("movsx3264 %r0, %r1", "r0 = (s32)r1")]
    [TestCase("le16 %r0", "r0 = le16 r0")]
    [TestCase("be32 %r0", "r0 = be32 r0")]
    [TestCase("bswap64 %r0", "r0 = bswap64 r0")]
    public void Arithmetic(string source, string expected) => AssertLlvm(source, expected);

    [TestCase("lddw %r0, 0x1122334455667788", "r0 = 0x1122334455667788 ll")]
    [TestCase("lddw %r0, -1", "r0 = 0xffffffffffffffff ll")]
    [TestCase("lddw %r1, map_fd(3)", "r1 = map[fd:3]")]
    [TestCase("lddw %r1, map_value(3+16)", "r1 = map[fd:3][0]+16")]
    [TestCase("lddw %r1, btf_id(7)", "r1 = btf_id[7]")]
    [TestCase("lddw %r1, btf_id(7+2)", "r1 = btf_id[7]+2")]
    [TestCase("lddw %r1, func(+5)", "r1 = func pc+5")]
    [TestCase("lddw %r1, map_idx(0)", "r1 = map[idx:0]")]
    [TestCase("lddw %r1, map_idx_value(0+8)", "r1 = map[idx:0][0]+8")]
    public void WideLoads(string source, string expected) => AssertLlvm(source, expected);

    [TestCase("ja +3", "goto +3")]
    [TestCase("ja -1", "goto -1")]
    [TestCase("ja32 +3", "gotol +3")]
    [TestCase("jgt %r1, %r2, +3", "if r1 > r2 goto +3")]
    [TestCase("jslt32 %r1, 5, -2", "if w1 s< 5 goto -2")]
    [TestCase("jset %r1, %r2, +1", "if r1 & r2 goto +1")]
    [TestCase("jeq %r1, 0, +1", "if r1 == 0 goto +1")]
    [TestCase("jne32 %r1, %r2, +1", "if w1 != w2 goto +1")]
    [TestCase("jge %r1, 1, +1", "if r1 >= 1 goto +1")]
    [TestCase("jlt %r1, 1, +1", "if r1 < 1 goto +1")]
    [TestCase("jle %r1, 1, +1", "if r1 <= 1 goto +1")]
    [TestCase("jsgt %r1, 1, +1", "if r1 s> 1 goto +1")]
    [TestCase("jsge %r1, 1, +1", "if r1 s>= 1 goto +1")]
    [TestCase("jsle %r1, -1, +1", "if r1 s<= -1 goto +1")]
    [TestCase("call 5", "call 5")]
    [TestCase("call local +3", "call pc+3")]
    [TestCase("call local -3", "call pc-3")]
    [TestCase("call kfunc 1234", "call kfunc#1234")]
    [TestCase("callx %r2", "callx r2")]
    [TestCase("exit", "exit")]
    public void JumpsAndCalls(string source, string expected) => AssertLlvm(source, expected);

    [TestCase("ldxw %r0, [%r1+4]", "r0 = *(u32 *)(r1 + 4)")]
    [TestCase("ldxdw %r0, [%r10-8]", "r0 = *(u64 *)(r10 - 8)")]
    [TestCase("ldxsh %r0, [%r1-2]", "r0 = *(s16 *)(r1 - 2)")]
    [TestCase("ldxsb %r0, [%r1+0]", "r0 = *(s8 *)(r1 + 0)")]
    [TestCase("stxb [%r10-1], %r1", "*(u8 *)(r10 - 1) = r1")]
    [TestCase("stw [%r10-4], 7", "*(u32 *)(r10 - 4) = 7")]
    [TestCase("sth [%r1+2], -1", "*(u16 *)(r1 + 2) = -1")]
    [TestCase("ldabsw 12", "r0 = *(u32 *)skb[12]")]
    [TestCase("ldindh %r1, 12", "r0 = *(u16 *)skb[r1 + 12]")]
    [TestCase("ldindb %r1, -4", "r0 = *(u8 *)skb[r1 - 4]")]
    public void Memory(string source, string expected) => AssertLlvm(source, expected);

    [TestCase("lock add [%r10-8], %r1", "lock *(u64 *)(r10 - 8) += r1")]
    [TestCase("lock or32 [%r10-8], %r1", "lock *(u32 *)(r10 - 8) |= w1")]
    [TestCase("lock and [%r10-8], %r1", "lock *(u64 *)(r10 - 8) &= r1")]
    [TestCase("lock xor32 [%r10-8], %r1", "lock *(u32 *)(r10 - 8) ^= w1")]
    [TestCase("lock fetch add [%r10-8], %r1", "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)")]
    [TestCase("lock fetch xor32 [%r10-8], %r1", "w1 = atomic_fetch_xor((u32 *)(r10 - 8), w1)")]
    [TestCase("lock fetch or [%r10-8], %r1", "r1 = atomic_fetch_or((u64 *)(r10 - 8), r1)")]
    [TestCase("lock fetch and32 [%r10-8], %r1", "w1 = atomic_fetch_and((u32 *)(r10 - 8), w1)")]
    [TestCase("lock xchg [%r10-8], %r1", "r1 = xchg_64(r10 - 8, r1)")]
    [TestCase("lock xchg32 [%r10-8], %r1", "w1 = xchg32_32(r10 - 8, w1)")]
    [TestCase("lock cmpxchg [%r10-8], %r1", "r0 = cmpxchg_64(r10 - 8, r0, r1)")]
    [TestCase("lock cmpxchg32 [%r10-8], %r1", "w0 = cmpxchg32_32(r10 - 8, w0, w1)")]
    [TestCase("ldacqdw %r0, [%r1+0]", "r0 = load_acquire((u64 *)(r1 + 0))")]
    [TestCase("ldacqb %r0, [%r1+1]", "w0 = load_acquire((u8 *)(r1 + 1))")]
    [TestCase("strelw [%r1+0], %r2", "store_release((u32 *)(r1 + 0), w2)")]
    [TestCase("streldw [%r1-8], %r2", "store_release((u64 *)(r1 - 8), r2)")]
    public void Atomics(string source, string expected) => AssertLlvm(source, expected);

    [Test]
    public void WholeProgramWithLabels()
    {
        var program = Assembler.Assemble("""
            jeq %r1, 0, skip
            call local f
            skip:
            exit
            f:
            mov32 %r0, 1
            exit
            """);
        // "skip" was only a jump label, so the disassembler names that target after its slot.
        const string expected = """
            main:
                if r1 == 0 goto +1 <L2>
                call pc+1 <f>
            L2:
                exit
            f:
                w0 = 1
                exit

            """;
        Assert.That(Disassembler.Disassemble(program, new DisassemblerOptions(DisassemblyStyle.Llvm, UseLabels: true)),
            Is.EqualTo(expected.ReplaceLineEndings("\n")));
    }

    [Test]
    public void EveryValidRowHasALlvmForm()
    {
        var random = new Random(7);
        foreach (var row in OpcodeTable.All)
        {
            var slots = RandomPrograms.Instance(row, random);
            Assert.That(Disassembler.Format(slots, 0, DisassemblyStyle.Llvm), Is.Not.Empty.And.Not.StartWith("."), row.ToString());
        }
    }

    private static void AssertLlvm(string source, string expected) =>
        Assert.That(Disassembler.Format(Assembler.AssembleInstructions(source), 0, DisassemblyStyle.Llvm), Is.EqualTo(expected), source);
}
