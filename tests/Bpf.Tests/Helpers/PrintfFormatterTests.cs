using System.Text;
using Bpf.Helpers;
using Bpf.Runtime;

namespace Bpf.Tests.Helpers;

/// <summary>
/// The BPF printf formatter against Linux: every expected text and length below is what Linux 6.18
/// printed for the same format and arguments through <c>bpf_snprintf</c> (recorded on this machine
/// with a program loaded through the bpf syscall), except where a comment says otherwise. The length
/// is <c>bpf_snprintf</c>'s result: the text's length plus the NUL.
/// </summary>
public sealed class PrintfFormatterTests
{
    private const int Unreadable = 8; // an address no probe may read

    /// <summary>A <c>%s</c>-style argument: the address of <paramref name="Offset"/> in the case's string memory.</summary>
    public sealed record At(int Offset);

    public sealed record Case(string Format, object[] Arguments, string Expected, long Length, string Strings = "", int Size = 256)
    {
        public override string ToString() => Format.Length > 40 ? Format[..40] + "..." : Format;
    }

    private static readonly string Ip4 = Latin1(10, 0, 0, 1) + new string('\0', 12) + Latin1(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

    public static IEnumerable<Case> KernelCases =>
    [
        new("%d %i %u", [-1L, -1L, -1L], "-1 -1 4294967295", 17),
        new("%ld %lu %lx", [-1L, -1L, -1L], "-1 18446744073709551615 ffffffffffffffff", 41),
        new("%lld %llu %llx %llX %lli", [long.MinValue, long.MinValue, 0xDEADBEEFCAFE, 0xDEADBEEFCAFE, -7L], "-9223372036854775808 9223372036854775808 deadbeefcafe DEADBEEFCAFE -7", 70),
        new("%x %X %d", [0xDEADBEEFCAFE, 0xDEADBEEFCAFE, 0x1_0000_0005], "beefcafe BEEFCAFE 5", 20),
        new("[%5d][%-5d][%05d][%+d][% d][%+05d][%-+5d]", [42L, 42L, 42L, 42L, 42L, 42L, 42L], "[   42][42   ][00042][+42][ 42][+0042][+42  ]", 46),
        new("[%05d][%-05d][% 5d][%+5d][%5d]", [-42L, -42L, -42L, -42L, -42L], "[-0042][-42  ][  -42][  -42][  -42]", 36),
        new("[%08x][%-8x][%+x][% x][%+u][% 5u][%08X]", [0xABCL, 0xABCL, 0xABCL, 0xABCL, 0xABCL, 0xABCL, 0xABCL], "[00000abc][abc     ][abc][abc][2748][ 2748][00000ABC]", 54),
        new("[%3c][%-3c][%03c]", [65L, 66L, 67L], "[  A][B  ][  C]", 16),
        new("[%8s][%-8s][%08s][%s]", [new At(0), new At(0), new At(0), new At(0)], "[     abc][abc     ][     abc][abc]", 36, "abc\0"),
        new("100%% [%%] %d", [3L], "100% [%] 3", 11),
        new("[%px][%20px][%-20px|", [0x1234L, 0x1234L, 0x1234L], "[0000000000001234][                1234][1234                |", 63),
        new("[%ps][%pS][%pB]", [0x1234L, 0x1234L, 0x1234L], "[0x1234][0x1234][0x1234]", 25),
        new("a%cb", [0L], "a\0b", 4),
        new("[%20ld][%-20lld][%020llu]", [-5L, -5L, 5L], "[                  -5][-5                  ][00000000000000000005]", 67),
        new("[%x][%d][%u][%5x]", [0L, 0L, 0L, 0L], "[0][0][0][    0]", 17),
        new("[%0-5d][%-05d]", [7L, 7L], "[7    ][7    ]", 15),
        new("tab\tnl\n", [], "tab\tnl\n", 8),
        new("%s|%s", [new At(0), (long)Unreadable], "xyz|", 5, "xyz\0"),
        new("[%600d]", [1L], "[" + new string(' ', 599) + "1]", 603),
        new("[%pI4][%pi4][%pI6][%pi6][%pI6c]", [new At(0), new At(0), new At(16), new At(16), new At(16)],
            "[10.0.0.1][010.000.000.001][2001:0db8:0000:0000:0000:0000:0000:0001][20010db8000000000000000000000001][2001:0db8:0000:0000:0000:0000:0000:0001]", 144, Ip4),
        new("[%pI6c][%pI6c]", [new At(0), new At(16)], "[0000:0000:0000:0000:0000:0000:0000:0000][0000:0000:0000:0000:0000:ffff:0102:0304]", 83,
            new string('\0', 16) + Latin1(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4)),
        new("%pI4:%d", [new At(0), 5L], "192.168.1.2:5", 14, Latin1(192, 168, 1, 2)),
        new("[%s]", [new At(0)], "[" + new string('x', 511) + "]", 514, new string('x', 600) + "\0"),
        new("\u0080\u009f\u00a0\u00e9\u00ff", [], "\u0080\u009f\u00a0\u00e9\u00ff", 6),
        new("\r\v\f", [], "\r\v\f", 4),
        new("[%20pI4][%-20pI4][%8pks][%8pB]", [new At(0), new At(0), new At(4), 0x10L], "[1.2.3.4][1.2.3.4][ab][0x10]", 29, Latin1(1, 2, 3, 4) + "ab\0"),
        new("[%pI4abc]", [new At(0)], "[1.2.3.4]", 10, Latin1(1, 2, 3, 4)),
        new("[%pxyz]", [0x10L], "[0000000000000010]", 19),
        new("%lld%s", [1L, new At(0)], "1" + new string('y', 503), 505, new string('y', 700) + "\0"),
        new("%c%lld%s", [1L, 1L, new At(0)], "\u0001" + "1" + new string('y', 499), 502, new string('y', 700) + "\0"),
        new("%c%d%s", [1L, 1L, new At(0)], "\u0001" + "1" + new string('y', 503), 506, new string('y', 700) + "\0"),
        new("%c%c%c%c%c%c%c%c%c%c%c%c", Enumerable.Repeat((object)66L, 12).ToArray(), "BBBBBBBBBBBB", 13),
        new("hello world", [], "hello world", 12, Size: 5),
        new("[%p][%px][%pK][%ps]", [0L, 0L, 0L, 0L], "[0000000000000000][0000000000000000][0000000000000000][0x0]", 60),
        new("[%020p][%+d][%+ld][% ld]", [0L, 0L, 0L, 5L], "[00000000000000000000][+0][+0][ 5]", 35),
        new("[%-+08d][% +d][%+ d]", [5L, 5L, 5L], "[+5      ][+5][+5]", 19),
        new("[%2147483648d]", [1L], "[1]", 4),
        new("[%4294967297d]", [1L], "[1]", 4),
        new("[%3000000000d]", [1L], "[1]", 4),
        new("[%10000000d]", [1L], "[" + new string(' ', 8388606) + "1]", 8388610, Size: 16),
        new("[%-10000000d]", [1L], "[1" + new string(' ', 8388606) + "]", 8388610, Size: 16),
        new("[%0010d]", [1L], "[0000000001]", 13),
        new("[%08pI4]", [new At(0)], "[1.2.3.4]", 10, Latin1(1, 2, 3, 4)),
        new("[%pi6]", [new At(0)], "[000102030405060708090a0b0c0d0e0f]", 35, Latin1(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray())),
        new("[%s\u00a0]", [new At(0)], "[ab\u00a0]", 6, "ab\0"),
        new("[%s\u00a1]", [new At(0)], "[ab\u00a1]", 6, "ab\0"),
        new("[%px\u00e9z]", [1L], "[0000000000000001]", 19),
        new("[%px\u00d7z]", [1L], "[0000000000000001\u00d7z]", 21),
        new("%s.", [new At(0)], ".", 2, "\0"),
        new("%pks", [new At(0)], "", 1, "\0"),
        new("%pus", [new At(0)], "", 1, "\0"),
        new("%cx", [65L], "Ax", 3),
        new("[%pS.]", [1L], "[0x1.]", 7),
        // Linux hashes plain %p and %pK; the width rules are the same (its output was "[a77e3507        ]").
        new("[%-4294967295p]", [1L], "[1               ]", 19),
        new("[%-p][%5p|", [1L, 0x1234L], "[1               ][ 1234|", 26),
    ];

    public static IEnumerable<TestCaseData> InvalidFormats =>
        new (string Format, object[] Arguments)[]
        {
            ("%hd", [1L]), ("%.2d", [1L]), ("%#x", [1L]), ("%q", [1L]), ("%d %d", [1L]), ("\u0001", []), ("%", [1L]),
            ("%sx", [new At(0)]), ("%5%", [1L]), ("%llld", [1L]), ("%pQ", [1L]), ("%pI5", [1L]), ("\u007f", []), ("\u001b", []),
            ("%z", [1L]), ("%lc", [1L]), ("%ls", [1L]), ("%pIx", [1L]), ("%s\u00e9", [new At(0)]), ("%p\u00e9", [1L]), ("%pk", [1L]),
        }.Select(c => new TestCaseData(c.Format, c.Arguments).SetArgDisplayNames(Escape(c.Format)));

    [TestCaseSource(nameof(KernelCases))]
    public void FormatsAsLinuxDoes(Case test)
    {
        var output = new byte[test.Size];
        output.AsSpan().Fill(0xEE);
        long length = Format(test.Format, test.Arguments, test.Strings, output);
        int visible = Math.Min(test.Expected.Length, test.Size - 1);
        Assert.Multiple(() =>
        {
            Assert.That(length + 1, Is.EqualTo(test.Length), "bpf_snprintf's result: the whole text's length and its NUL");
            Assert.That(Latin1(output[..visible]), Is.EqualTo(test.Expected[..visible]));
            Assert.That(output[visible], Is.Zero, "the text ends with a NUL");
        });
    }

    [TestCaseSource(nameof(InvalidFormats))]
    public void RejectsWhatLinuxRejects(string format, object[] arguments)
    {
        var output = new byte[64];
        output.AsSpan().Fill(0xEE);
        long result = Format(format, arguments, "ab\0", output);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(-Errno.EINVAL));
            Assert.That(output, Is.All.EqualTo(0xEE), "a rejected format writes nothing");
        });
    }

    [TestCase("%s%d")]
    [TestCase("%s%c")]
    [TestCase("%s%s")]
    public void ArgumentsPastTheSharedBufferAreNoSpace(string format)
    {
        // Linux: the string takes all 512 bytes of the argument buffer, leaving none for the next.
        long result = Format(format, [new At(0), new At(0)], new string('y', 700) + "\0", new byte[64]);
        Assert.That(result, Is.EqualTo(-Errno.ENOSPC));
    }

    [Test]
    public void AnEmptyOutputStillGivesTheLength()
    {
        Assert.That(Format("hello %d", [42L], "", []), Is.EqualTo(8));
    }

    [Test]
    public void TheOutputIsCutAndTerminatedWhenTooSmall()
    {
        var output = new byte[4];
        Assert.Multiple(() =>
        {
            Assert.That(Format("%d-%s", [12345L, new At(0)], "abc\0", output), Is.EqualTo(9));
            Assert.That(output, Is.EqualTo("123\0"u8.ToArray()));
        });
    }

    private static unsafe long Format(string format, object[] arguments, string strings, byte[] output)
    {
        using var memory = new HostMemory(Math.Max(strings.Length, 1));
        Encoding.Latin1.GetBytes(strings).CopyTo(memory.Span);
        var values = arguments.Select(a => a switch
        {
            At at => (ulong)(memory.Address + at.Offset),
            long value => (ulong)value,
            ulong value => value,
            _ => throw new ArgumentException($"argument {a}"),
        }).ToArray();
        var invocation = new Invocation(ExecutionOptions.Default with { ProbeRegions = [memory.Region] });
        return PrintfFormatter.Format(Encoding.Latin1.GetBytes(format), values, invocation, output);
    }

    private static string Latin1(params byte[] bytes) => Encoding.Latin1.GetString(bytes);

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\x{(int)c:x2}" : c.ToString()));
}
