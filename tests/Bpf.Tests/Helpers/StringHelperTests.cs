using System.Text;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// <c>bpf_strtol</c>, <c>bpf_strtoul</c> and <c>bpf_strncmp</c> on every engine. The expected
/// results are what Linux 6.18 returned for the same input (recorded on this machine through the
/// bpf syscall).
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class StringHelperTests(string engine)
{
    private const long EINVAL = -22, ERANGE = -34;

    /// <summary>Text, flags; strtol's result and value; strtoul's result and value.</summary>
    public static IEnumerable<TestCaseData> Numbers =>
        new (string Text, long Flags, long Signed, long SignedValue, long Unsigned, ulong UnsignedValue)[]
        {
            ("123", 0, 3, 123, 3, 123),
            ("  -0x1f", 0, 7, -31, EINVAL, 0),
            ("0x", 0, 1, 0, 1, 0),
            ("0xg", 0, 1, 0, 1, 0),
            ("077", 0, 3, 63, 3, 63),
            ("08", 0, 1, 0, 1, 0),
            ("+5", 0, EINVAL, 0, EINVAL, 0),
            ("-", 0, EINVAL, 0, EINVAL, 0),
            ("   ", 0, EINVAL, 0, EINVAL, 0),
            ("\0", 0, EINVAL, 0, EINVAL, 0),
            (new string('1', 70), 10, ERANGE, 0, ERANGE, 0),
            ("9223372036854775807", 10, 19, long.MaxValue, 19, long.MaxValue),
            ("9223372036854775808", 10, ERANGE, 0, 19, 9223372036854775808),
            ("-9223372036854775808", 10, 20, long.MinValue, EINVAL, 0),
            ("-9223372036854775809", 10, ERANGE, 0, EINVAL, 0),
            ("18446744073709551615", 10, ERANGE, 0, 20, ulong.MaxValue),
            ("18446744073709551616", 10, ERANGE, 0, ERANGE, 0),
            ("-1", 10, 2, -1, EINVAL, 0),
            ("0x10", 16, 4, 16, 4, 16),
            ("0x10", 10, 1, 0, 1, 0),
            ("10", 32, EINVAL, 0, EINVAL, 0),
            ("10", 2, EINVAL, 0, EINVAL, 0),
            ("ff", 16, 2, 255, 2, 255),
            ("FFz", 16, 2, 255, 2, 255),
            ("\t\n\v\f\r 42", 0, 8, 42, 8, 42),
            ("\u00a042", 0, 3, 42, 3, 42),
            (new string('0', 62) + "12", 10, 63, 1, 63, 1),
            ("12abc", 0, 2, 12, 2, 12),
            ("0X1A", 0, 4, 26, 4, 26),
            ("0x1A", 8, 1, 0, 1, 0),
            ("017", 16, 3, 23, 3, 23),
            ("-0", 0, 2, 0, EINVAL, 0),
            ("--1", 0, EINVAL, 0, EINVAL, 0),
            ("7", 10, 1, 7, 1, 7),
        }.Select(c => new TestCaseData(c.Text, c.Flags, c.Signed, c.SignedValue, c.Unsigned, c.UnsignedValue)
            .SetArgDisplayNames(Display(c.Text), c.Flags.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static string Display(string text) =>
        string.Concat((text.Length > 24 ? text[..24] + "..." : text).Select(c => c is < ' ' or > '~' ? $"\\x{(int)c:x2}" : c.ToString()));

    // Program memory: the result at 0, the text at 16.
    private (long Result, ulong Value) Parse(int helper, string text, long flags, int? length = null)
    {
        var memory = new byte[16 + Math.Max(text.Length, 1)];
        BitConverter.TryWriteBytes(memory.AsSpan(0), 12345L);
        Encoding.Latin1.GetBytes(text).CopyTo(memory, 16);
        ulong result = Run(engine, $"""
            mov %r4, %r1
            add %r1, 16
            mov %r2, {length ?? text.Length}
            lddw %r3, {flags}
            call {helper}
            exit
            """, memory);
        return ((long)result, BitConverter.ToUInt64(memory, 0));
    }

    [TestCaseSource(nameof(Numbers))]
    public void ParsesAsLinuxDoes(string text, long flags, long signed, long signedValue, long unsigned, ulong unsignedValue)
    {
        var strtol = Parse(105, text, flags);
        var strtoul = Parse(106, text, flags);
        Assert.Multiple(() =>
        {
            Assert.That(strtol, Is.EqualTo((signed, (ulong)signedValue)), "strtol");
            Assert.That(strtoul, Is.EqualTo((unsigned, unsignedValue)), "strtoul");
        });
    }

    [Test]
    public void ParsesOnlyTheGivenLength()
    {
        Assert.That(Parse(105, "123456", 10, length: 3), Is.EqualTo((3L, 123UL)));
    }

    [Test]
    public void ZeroLengthIsInvalid()
    {
        Assert.That(Parse(106, "1", 0, length: 0), Is.EqualTo(((long)EINVAL, 0UL)));
    }

    [Test]
    public void FlagsBeyondTheBaseAreInvalid()
    {
        Assert.That(Parse(105, "1", 10 | (1L << 40)), Is.EqualTo(((long)EINVAL, 0UL)));
    }

    [Test]
    public void AResultOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            lddw %r4, 0x1000
            mov %r2, 1
            mov %r3, 0
            call 105
            exit
            """, new byte[16]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void TextOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            mov %r4, %r1
            mov %r2, 32
            mov %r3, 0
            call 106
            exit
            """, new byte[16]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    /// <summary>s1, its size, s2 and Linux's result.</summary>
    public static IEnumerable<TestCaseData> Comparisons =>
        new (string First, int Size, string Second, long Expected)[]
        {
            ("abc", 3, "abd", -1), ("abd", 3, "abc", 1), ("abc", 3, "abc", 0), ("abc", 2, "abd", 0), ("abc\0", 4, "ab", 1),
            ("ab\0", 4, "abc", -1), ("\u00ff", 1, "a", 1), ("ab\0x", 4, "ab", 0), ("zzzz", 1, "zebra", 0), ("abc", 3, "abcdef", 0),
            ("b", 1, "a", 1),
        }.Select(c => new TestCaseData(c.First, c.Size, c.Second, c.Expected).SetArgDisplayNames(Display(c.First), c.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Second));

    // Program memory: s1 at 0, s2 at 32.
    [TestCaseSource(nameof(Comparisons))]
    public void ComparesAsLinuxDoes(string first, int size, string second, long expected)
    {
        var memory = new byte[64];
        Encoding.Latin1.GetBytes(first).CopyTo(memory, 0);
        Encoding.Latin1.GetBytes(second).CopyTo(memory, 32);
        ulong result = Run(engine, $"""
            mov %r3, %r1
            add %r3, 32
            mov %r2, {size}
            call 182
            exit
            """, memory);
        Assert.That((long)result, Is.EqualTo(expected));
    }

    [Test]
    public void ASecondStringWithoutItsNulInProgramMemoryStopsTheProgram()
    {
        var memory = Enumerable.Repeat((byte)'a', 16).ToArray();
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            mov %r3, %r1
            add %r3, 8
            mov %r2, 16
            call 182
            exit
            """, memory));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void AFirstStringRunningPastProgramMemoryStopsTheProgram()
    {
        var memory = new byte[16];
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            mov %r3, %r1
            mov %r2, 17
            call 182
            exit
            """, memory));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }
}
