using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>
/// Known encodings, worked out by hand from RFC 9669 (opcode = class | code | source; the register
/// byte is dst | src &lt;&lt; 4; offset and immediate little-endian), one or more per operand layout.
/// </summary>
[TestFixture]
public sealed class AssemblerEncodingTests
{
    [TestCase("add %r0, 1", "07 00 00 00 01 00 00 00")]
    [TestCase("add32 %r1, %r2", "0c 21 00 00 00 00 00 00")]
    [TestCase("sub %r3, %r4", "1f 43 00 00 00 00 00 00")]
    [TestCase("mov %r0, -1", "b7 00 00 00 ff ff ff ff")]
    [TestCase("mov32 %r0, 0xffffffff", "b4 00 00 00 ff ff ff ff")]
    [TestCase("mov32 %r9, -0x10", "b4 09 00 00 f0 ff ff ff")]
    [TestCase("mov %r10, %r1", "bf 1a 00 00 00 00 00 00")]
    [TestCase("mul %r1, 2147483647", "27 01 00 00 ff ff ff 7f")]
    [TestCase("div %r1, -2147483648", "37 01 00 00 00 00 00 80")]
    [TestCase("mod %r1, 7", "97 01 00 00 07 00 00 00")]
    [TestCase("lsh32 %r2, 3", "64 02 00 00 03 00 00 00")]
    [TestCase("arsh %r2, %r3", "cf 32 00 00 00 00 00 00")]
    [TestCase("xor32 %r5, %r6", "ac 65 00 00 00 00 00 00")]
    [TestCase("neg %r3", "87 03 00 00 00 00 00 00")]
    [TestCase("neg32 %r3", "84 03 00 00 00 00 00 00")]
    [TestCase("sdiv %r1, %r2", "3f 21 01 00 00 00 00 00")]
    [TestCase("sdiv32 %r1, 3", "34 01 01 00 03 00 00 00")]
    [TestCase("smod %r1, %r2", "9f 21 01 00 00 00 00 00")]
    [TestCase("smod32 %r1, -3", "94 01 01 00 fd ff ff ff")]
    [TestCase("movsx1632 %r1, %r2", "bc 21 10 00 00 00 00 00")]
    [TestCase("addr_space_cast %r1, %r2, 0, 1", "bf 21 01 00 01 00 00 00")]
    [TestCase("addr_space_cast %r1, %r2, 1, 0", "bf 21 01 00 00 00 01 00")]
    [TestCase("movsx832 %r1, %r2", "bc 21 08 00 00 00 00 00")]
    [TestCase("movsx864 %r1, %r2", "bf 21 08 00 00 00 00 00")]
    [TestCase("movsx3264 %r1, %r2", "bf 21 20 00 00 00 00 00")]
    [TestCase("le16 %r1", "d4 01 00 00 10 00 00 00")]
    [TestCase("le64 %r1", "d4 01 00 00 40 00 00 00")]
    [TestCase("be32 %r1", "dc 01 00 00 20 00 00 00")]
    [TestCase("bswap16 %r1", "d7 01 00 00 10 00 00 00")]
    [TestCase("swap64 %r2", "d7 02 00 00 40 00 00 00")]
    public void Arithmetic(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("ldxw %r0, [%r1+4]", "61 10 04 00 00 00 00 00")]
    [TestCase("ldxdw %r0, [%r10-8]", "79 a0 f8 ff 00 00 00 00")]
    [TestCase("ldxh %r2, [%r3]", "69 32 00 00 00 00 00 00")]
    [TestCase("ldxb %r0, [%r1+0x10]", "71 10 10 00 00 00 00 00")]
    [TestCase("ldxb %r0, [%r1+32767]", "71 10 ff 7f 00 00 00 00")]
    [TestCase("ldxb %r0, [%r1-32768]", "71 10 00 80 00 00 00 00")]
    [TestCase("ldxb %r0, [ %r1 + 2 ]", "71 10 02 00 00 00 00 00")]
    [TestCase("ldxsb %r2, [%r1+0x10]", "91 12 10 00 00 00 00 00")]
    [TestCase("ldxsh %r2, [%r1+2]", "89 12 02 00 00 00 00 00")]
    [TestCase("ldxsw %r2, [%r1+4]", "81 12 04 00 00 00 00 00")]
    [TestCase("stw [%r1+2], 5", "62 01 02 00 05 00 00 00")]
    [TestCase("sth [%r1-2], -1", "6a 01 fe ff ff ff ff ff")]
    [TestCase("stb [%r10-1], 0x7f", "72 0a ff ff 7f 00 00 00")]
    [TestCase("stdw [%r10-8], 1", "7a 0a f8 ff 01 00 00 00")]
    [TestCase("stxdw [%r10-8], %r1", "7b 1a f8 ff 00 00 00 00")]
    [TestCase("stxb [%r1], %r2", "73 21 00 00 00 00 00 00")]
    [TestCase("stxw [%r1+4], %r2", "63 21 04 00 00 00 00 00")]
    [TestCase("stxh [%r1+4], %r2", "6b 21 04 00 00 00 00 00")]
    public void LoadsAndStores(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00")]
    [TestCase("lock add32 [%r10-4], %r1", "c3 1a fc ff 00 00 00 00")]
    [TestCase("lock fetch add32 [%r10-4], %r1", "c3 1a fc ff 01 00 00 00")]
    [TestCase("lock fetch add [%r10-8], %r1", "db 1a f8 ff 01 00 00 00")]
    [TestCase("lock or [%r1+0], %r2", "db 21 00 00 40 00 00 00")]
    [TestCase("lock fetch or32 [%r1+0], %r2", "c3 21 00 00 41 00 00 00")]
    [TestCase("lock and [%r1+0], %r2", "db 21 00 00 50 00 00 00")]
    [TestCase("lock fetch xor32 [%r1+0], %r2", "c3 21 00 00 a1 00 00 00")]
    [TestCase("lock xchg [%r10-8], %r1", "db 1a f8 ff e1 00 00 00")]
    [TestCase("lock xchg32 [%r10-8], %r1", "c3 1a f8 ff e1 00 00 00")]
    [TestCase("lock cmpxchg [%r10-8], %r1", "db 1a f8 ff f1 00 00 00")]
    [TestCase("lock cmpxchg32 [%r10-8], %r1", "c3 1a f8 ff f1 00 00 00")]
    [TestCase("ldacqw %r0, [%r1+0]", "c3 10 00 00 00 01 00 00")]
    [TestCase("ldacqb %r0, [%r1+0]", "d3 10 00 00 00 01 00 00")]
    [TestCase("ldacqdw %r0, [%r1+8]", "db 10 08 00 00 01 00 00")]
    [TestCase("strelw [%r1+0], %r2", "c3 21 00 00 10 01 00 00")]
    [TestCase("strelh [%r1+2], %r2", "cb 21 02 00 10 01 00 00")]
    public void Atomics(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("lddw %r0, 0x1122334455667788", "18 00 00 00 88 77 66 55  00 00 00 00 44 33 22 11")]
    [TestCase("lddw %r0, 0xFFFFFFFFFFFFFFFF", "18 00 00 00 ff ff ff ff  00 00 00 00 ff ff ff ff")]
    [TestCase("lddw %r0, 18446744073709551615", "18 00 00 00 ff ff ff ff  00 00 00 00 ff ff ff ff")]
    [TestCase("lddw %r0, -9223372036854775808", "18 00 00 00 00 00 00 00  00 00 00 00 00 00 00 80")]
    [TestCase("lddw %r0, 2147483648", "18 00 00 00 00 00 00 80  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r0, -1", "18 00 00 00 ff ff ff ff  00 00 00 00 ff ff ff ff")]
    [TestCase("lddw %r1, map_fd(3)", "18 11 00 00 03 00 00 00  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, map_value(3+16)", "18 21 00 00 03 00 00 00  00 00 00 00 10 00 00 00")]
    [TestCase("lddw %r1, map_value(3)", "18 21 00 00 03 00 00 00  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, btf_id(7)", "18 31 00 00 07 00 00 00  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, btf_id(7+2)", "18 31 00 00 07 00 00 00  00 00 00 00 02 00 00 00")]
    [TestCase("lddw %r1, func(+5)", "18 41 00 00 05 00 00 00  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, func(-3)", "18 41 00 00 fd ff ff ff  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, map_idx(0)", "18 51 00 00 00 00 00 00  00 00 00 00 00 00 00 00")]
    [TestCase("lddw %r1, map_idx_value(0+8)", "18 61 00 00 00 00 00 00  00 00 00 00 08 00 00 00")]
    [TestCase("lddw %r1, map_idx_value(1-8)", "18 61 00 00 01 00 00 00  00 00 00 00 f8 ff ff ff")]
    [TestCase("ldabsw 12", "20 00 00 00 0c 00 00 00")]
    [TestCase("ldabsh 12", "28 00 00 00 0c 00 00 00")]
    [TestCase("ldabsb -1", "30 00 00 00 ff ff ff ff")]
    [TestCase("ldindh %r1, 12", "48 10 00 00 0c 00 00 00")]
    [TestCase("ldindw %r2, 0", "40 20 00 00 00 00 00 00")]
    public void WideAndPacketLoads(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("ja +3", "05 00 03 00 00 00 00 00")]
    [TestCase("ja -1", "05 00 ff ff 00 00 00 00")]
    [TestCase("ja 0", "05 00 00 00 00 00 00 00")]
    [TestCase("ja +32767", "05 00 ff 7f 00 00 00 00")]
    [TestCase("ja32 +3", "06 00 00 00 03 00 00 00")]
    [TestCase("gotol -2", "06 00 00 00 fe ff ff ff")]
    [TestCase("ja32 +100000", "06 00 00 00 a0 86 01 00")]
    [TestCase("jeq32 %r1, 5, +2", "16 01 02 00 05 00 00 00")]
    [TestCase("jeq %r1, %r2, +2", "1d 21 02 00 00 00 00 00")]
    [TestCase("jgt %r1, %r2, -1", "2d 21 ff ff 00 00 00 00")]
    [TestCase("jset %r1, 0x80000000, +1", "45 01 01 00 00 00 00 80")]
    [TestCase("jne %r1 %r2 +1", "5d 21 01 00 00 00 00 00")]
    [TestCase("jslt32 %r9, -1, +4", "c6 09 04 00 ff ff ff ff")]
    [TestCase("jsle %r1, %r10, +4", "dd a1 04 00 00 00 00 00")]
    [TestCase("jlt %r0, 1, +0", "a5 00 00 00 01 00 00 00")]
    public void Jumps(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("call 5", "85 00 00 00 05 00 00 00")]
    [TestCase("call helper 5", "85 00 00 00 05 00 00 00")]
    [TestCase("call bpf_ktime_get_ns", "85 00 00 00 05 00 00 00")]
    [TestCase("call ktime_get_ns", "85 00 00 00 05 00 00 00")]
    [TestCase("call bpf_map_lookup_elem", "85 00 00 00 01 00 00 00")]
    [TestCase("call local +3", "85 10 00 00 03 00 00 00")]
    [TestCase("call local -4", "85 10 00 00 fc ff ff ff")]
    [TestCase("call kfunc 1234", "85 20 00 00 d2 04 00 00")]
    [TestCase("call runtime 1234", "85 20 00 00 d2 04 00 00")]
    [TestCase("call kfunc 1234, 2", "85 20 02 00 d2 04 00 00")]
    [TestCase("call %r2", "8d 02 00 00 00 00 00 00")]
    [TestCase("callx %r2", "8d 02 00 00 00 00 00 00")]
    [TestCase("exit", "95 00 00 00 00 00 00 00")]
    public void CallsAndExit(string source, string expected) => AssertEncodes(source, expected);

    [TestCase("MOV %R0, 1", "b7 00 00 00 01 00 00 00")]
    [TestCase("mov r0, r1", "bf 10 00 00 00 00 00 00")]
    [TestCase("  mov\t%r0 ,\t1   # comment", "b7 00 00 00 01 00 00 00")]
    [TestCase("lock   fetch   add [%r10-8], %r1", "db 1a f8 ff 01 00 00 00")]
    [TestCase("mov %r0, +5", "b7 00 00 00 05 00 00 00")]
    [TestCase("ldxw %r0, [r1+0X10]", "61 10 10 00 00 00 00 00")]
    public void Spelling(string source, string expected) => AssertEncodes(source, expected);

    [Test]
    public void CommentsBlankLinesAndSeveralInstructions()
    {
        const string source = """
            # a comment line

            mov %r0, 1 # a trailing comment
                exit
            """;
        AssertEncodes(source, "b7 00 00 00 01 00 00 00  95 00 00 00 00 00 00 00");
    }

    [Test]
    public void WindowsLineEndings() =>
        AssertEncodes("mov %r0, 1\r\nexit\r\n", "b7 00 00 00 01 00 00 00  95 00 00 00 00 00 00 00");

    [Test]
    public void EmptySourceHasNoInstructions() =>
        Assert.That(Assembler.AssembleInstructions("# nothing\n\n"), Is.Empty);

    private static void AssertEncodes(string source, string expected) =>
        Assert.That(Hex.Of(Assembler.AssembleInstructions(source)), Is.EqualTo(Hex.Normalize(expected)), source);
}
