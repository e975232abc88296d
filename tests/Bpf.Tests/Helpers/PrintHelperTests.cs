using System.Text;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// <c>bpf_snprintf</c>, <c>bpf_trace_printk</c> and <c>bpf_trace_vprintk</c> called by programs on
/// every engine. Return values follow Linux (checked against Linux 6.18: <c>trace_printk</c> returns
/// the text's length, <c>snprintf</c> the length with the NUL); the formatting itself is covered
/// case by case in <see cref="PrintfFormatterTests"/>.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class PrintHelperTests(string engine)
{
    // Program memory for snprintf: arguments at 0, the format at 128, the output at 256, strings at 512.
    private const int FormatAt = 128;
    private const int OutputAt = 256;
    private const int StringsAt = 512;

    private static byte[] Memory(string format, string strings = "")
    {
        var memory = new byte[1024];
        Encoding.Latin1.GetBytes(format).CopyTo(memory, FormatAt);
        Encoding.Latin1.GetBytes(strings).CopyTo(memory, StringsAt);
        memory.AsSpan(OutputAt, 256).Fill(0xEE);
        return memory;
    }

    /// <summary>A program calling bpf_snprintf(out, size, fmt, args, 8 * count); string arguments point into the strings area.</summary>
    private static string Snprintf(int size, int count, int[]? stringArguments = null, string output = "add %r1, 256")
    {
        var text = new StringBuilder("mov %r6, %r1\n");
        foreach (int index in stringArguments ?? [])
            text.Append($"mov %r2, %r6\nadd %r2, {StringsAt + index * 16}\nstxdw [%r6+{index * 8}], %r2\n");
        text.Append($"""
            mov %r1, %r6
            {output}
            mov %r2, {size}
            mov %r3, %r6
            add %r3, {FormatAt}
            mov %r4, %r6
            mov %r5, {count * 8}
            call 165
            exit
            """);
        return text.ToString();
    }

    private static string Output(byte[] memory, int length) => Encoding.Latin1.GetString(memory, OutputAt, length);

    [Test]
    public void SnprintfFormatsIntoProgramMemory()
    {
        var memory = Memory("%s=%d (0x%lx)\0", "answer\0");
        BitConverter.TryWriteBytes(memory.AsSpan(8), 42L);
        BitConverter.TryWriteBytes(memory.AsSpan(16), 0xDEADBEEFL);
        ulong result = Run(engine, Snprintf(64, 3, [0]), memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(23UL), "the length of \"answer=42 (0xdeadbeef)\" and its NUL");
            Assert.That(Output(memory, 23), Is.EqualTo("answer=42 (0xdeadbeef)\0"));
            Assert.That(memory[OutputAt + 23], Is.EqualTo(0xEE), "nothing is written past the NUL");
        });
    }

    [Test]
    public void SnprintfCutsTheTextToTheSizeAndReturnsWhatItNeeds()
    {
        var memory = Memory("hello %s\0", "world\0");
        ulong result = Run(engine, Snprintf(8, 1, [0]), memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(12UL));
            Assert.That(Output(memory, 9), Is.EqualTo("hello w\0\u00ee"));
        });
    }

    [Test]
    public void SnprintfWithNoRoomOnlyMeasures()
    {
        var memory = Memory("%d%d\0");
        BitConverter.TryWriteBytes(memory.AsSpan(0), 123L);
        BitConverter.TryWriteBytes(memory.AsSpan(8), -45L);
        ulong result = Run(engine, Snprintf(0, 2, output: "mov %r1, 0"), memory);
        Assert.That(result, Is.EqualTo(7UL), "\"123-45\" and its NUL; the null buffer is never touched");
    }

    [TestCase(12, TestName = "{m}(not a multiple of 8)")]
    [TestCase(104, TestName = "{m}(13 arguments)")]
    public void SnprintfRejectsABadArgumentLength(int length)
    {
        var memory = Memory("%d\0");
        string source = Snprintf(64, 0).Replace("mov %r5, 0", $"mov %r5, {length}", StringComparison.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, source, memory), Is.EqualTo(Error(Errno.EINVAL)));
            Assert.That(memory.AsSpan(OutputAt, 256).ToArray(), Is.All.EqualTo(0xEE));
        });
    }

    [Test]
    public void SnprintfRejectsANullArgumentArray()
    {
        var memory = Memory("%d\0");
        string source = Snprintf(64, 1).Replace("mov %r4, %r6", "mov %r4, 0", StringComparison.Ordinal);
        Assert.That(Run(engine, source, memory), Is.EqualTo(Error(Errno.EINVAL)));
    }

    [Test]
    public void SnprintfRejectsABadFormatAndLeavesTheOutputAlone()
    {
        var memory = Memory("%d %d\0");
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Snprintf(64, 1), memory), Is.EqualTo(Error(Errno.EINVAL)), "two conversions, one argument");
            Assert.That(memory.AsSpan(OutputAt, 256).ToArray(), Is.All.EqualTo(0xEE));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AStringTheProbeCannotReadPrintsEmpty(bool isChecked)
    {
        var memory = Memory("[%s]\0");
        BitConverter.TryWriteBytes(memory.AsSpan(0), 0x1000L);
        ulong result = Run(engine, Snprintf(64, 1), memory, isChecked ? Checked : Unchecked);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(3UL));
            Assert.That(Output(memory, 3), Is.EqualTo("[]\0"));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AStringOnTheStackPrints(bool isChecked)
    {
        // "stack!\0" written to the program's stack and printed from there: checked mode knows the
        // frame; without checked mode the probe rules accept the live thread stack.
        var memory = Memory("<%s>\0");
        ulong result = Run(engine, $"""
            mov %r6, %r1
            lddw %r2, 0x00216b63617473
            stxdw [%r10-8], %r2
            mov %r2, %r10
            add %r2, -8
            stxdw [%r6+0], %r2
            mov %r1, %r6
            add %r1, {OutputAt}
            mov %r2, 64
            mov %r3, %r6
            add %r3, {FormatAt}
            mov %r4, %r6
            mov %r5, 8
            call 165
            exit
            """, memory, isChecked ? Checked : Unchecked);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(9UL));
            Assert.That(Output(memory, 9), Is.EqualTo("<stack!>\0"));
        });
    }

    [Test]
    public void AFormatOutsideProgramMemoryStopsTheProgram()
    {
        var memory = Memory("%d\0");
        string source = Snprintf(64, 1).Replace($"add %r3, {FormatAt}", "lddw %r3, 0x1000", StringComparison.Ordinal);
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, source, memory));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void AFormatWithoutItsNulInsideProgramMemoryStopsTheProgram()
    {
        var memory = new byte[FormatAt + 8];
        "%d%d%d%d"u8.CopyTo(memory.AsSpan(FormatAt));
        string source = $"""
            mov %r6, %r1
            mov %r1, %r6
            mov %r2, 8
            mov %r3, %r6
            add %r3, {FormatAt}
            mov %r4, %r6
            mov %r5, 32
            call 165
            exit
            """;
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, source, memory));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void AnOutputOutsideProgramMemoryStopsTheProgram()
    {
        var memory = Memory("%d\0");
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, Snprintf(64, 1, output: "lddw %r1, 0x1000"), memory));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    private ulong TracePrintk(string format, int size, List<string> lines, string arguments = "", ExecutionOptions? options = null)
    {
        var memory = new byte[256];
        Encoding.Latin1.GetBytes(format).CopyTo(memory, 0);
        return Run(engine, $"""
            mov %r6, %r1
            mov %r2, {size}
            {arguments}
            mov %r1, %r6
            call 6
            exit
            """, memory, (options ?? Checked) with { Trace = lines.Add });
    }

    [Test]
    public void TracePrintkSendsTheLineToTheSink()
    {
        var lines = new List<string>();
        ulong result = TracePrintk("x=%d y=%u\n\0", 12, lines, "mov %r3, -1\nmov %r4, 7");
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(9UL), "the length of \"x=-1 y=7\\n\"");
            Assert.That(lines, Is.EqualTo(new[] { "x=-1 y=7" }), "one line per call, without the format's newline");
        });
    }

    [Test]
    public void TracePrintkTakesThreeArguments()
    {
        var lines = new List<string>();
        Assert.Multiple(() =>
        {
            Assert.That(TracePrintk("%d %d %d\0", 9, lines, "mov %r3, 1\nmov %r4, 2\nmov %r5, 3"), Is.EqualTo(5UL));
            Assert.That(TracePrintk("%d %d %d %d\0", 12, lines, "mov %r3, 1\nmov %r4, 2\nmov %r5, 3"), Is.EqualTo(Error(Errno.EINVAL)));
            Assert.That(lines, Is.EqualTo(new[] { "1 2 3" }));
        });
    }

    [Test]
    public void TracePrintkWantsTheNulWithinTheFormatSize()
    {
        var lines = new List<string>();
        Assert.Multiple(() =>
        {
            Assert.That(TracePrintk("abc\0", 3, lines), Is.EqualTo(Error(Errno.EINVAL)));
            Assert.That(lines, Is.Empty);
        });
    }

    [Test]
    public void TracePrintkCutsLongLinesAt511Bytes()
    {
        var lines = new List<string>();
        ulong result = TracePrintk("[%600d]\0", 8, lines, "mov %r3, 1");
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(602UL), "Linux returns the whole length");
            Assert.That(lines, Has.Count.EqualTo(1));
            Assert.That(lines[0], Is.EqualTo("[" + new string(' ', 510)));
        });
    }

    [Test]
    public void TracePrintkLineEndsAtANulCharacter()
    {
        var lines = new List<string>();
        ulong result = TracePrintk("a%cb\0", 5, lines, "mov %r3, 0");
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(3UL));
            Assert.That(lines, Is.EqualTo(new[] { "a" }));
        });
    }

    [Test]
    public void TracePrintkWithoutASinkStillFormats()
    {
        var memory = new byte[16];
        "n=%d\0"u8.CopyTo(memory);
        ulong result = Run(engine, "mov %r2, 5\nmov %r3, 1234\ncall 6\nexit", memory);
        Assert.That(result, Is.EqualTo(6UL));
    }

    [Test]
    public void TracePrintkDecodesUtf8()
    {
        var lines = new List<string>();
        var memory = new byte[64];
        Encoding.UTF8.GetBytes("caf\u00e9 %d\0").CopyTo(memory, 0);
        ulong result = Run(engine, "mov %r2, 64\nmov %r3, 7\ncall 6\nexit", memory, Checked with { Trace = lines.Add });
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(7UL));
            Assert.That(lines, Is.EqualTo(new[] { "caf\u00e9 7" }));
        });
    }

    [Test]
    public void TraceVprintkTakesAnArgumentArray()
    {
        var lines = new List<string>();
        var memory = new byte[256];
        for (int i = 0; i < 5; i++)
            BitConverter.TryWriteBytes(memory.AsSpan(i * 8), (long)(i + 1) * 11);
        "%d,%d,%d,%d,%lx\0"u8.CopyTo(memory.AsSpan(64));
        ulong result = Run(engine, """
            mov %r3, %r1
            add %r1, 64
            mov %r2, 64
            mov %r4, 40
            call 177
            exit
            """, memory, Checked with { Trace = lines.Add });
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(14UL));
            Assert.That(lines, Is.EqualTo(new[] { "11,22,33,44,37" }));
        });
    }

    [TestCase(12, TestName = "{m}(not a multiple of 8)")]
    [TestCase(104, TestName = "{m}(13 arguments)")]
    [TestCase(-1, TestName = "{m}(null array)")]
    public void TraceVprintkRejectsBadArguments(int length)
    {
        var lines = new List<string>();
        var memory = new byte[256];
        "%d\0"u8.CopyTo(memory.AsSpan(128));
        string array = length < 0 ? "mov %r3, 0" : "mov %r3, %r1";
        ulong result = Run(engine, $"""
            {array}
            add %r1, 128
            mov %r2, 16
            mov %r4, {(length < 0 ? 8 : length)}
            call 177
            exit
            """, memory, Checked with { Trace = lines.Add });
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(Error(Errno.EINVAL)));
            Assert.That(lines, Is.Empty);
        });
    }
}
