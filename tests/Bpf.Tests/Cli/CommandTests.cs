using Bpf.Tests.Elf;
using static Bpf.Tests.Cli.Programs;

namespace Bpf.Tests.Cli;

public class CommandTests
{
    [Test]
    public void RunPrintsR0ForBytecodeWithMemoryFromAHexFile()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("sum.bin", Bytes(SumOfFirstTwoBytes()));
        string memory = dir.Write("in.hex", "# two bytes\n0a\n0b ff\n");

        foreach (var engine in Bpf.Cli.Engines.All)
        {
            var run = ToolRun.Invoke("run", program, "--mem", memory, "--engine", engine.Name);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out.Trim(), Is.EqualTo("0000000000000015"));
        }
    }

    [Test]
    public void RunUsesADataFilesMemoryAndAnElfObjectsText()
    {
        using var dir = new TemporaryDirectory();
        string data = dir.Write("case.data", $"-- raw\n{RawLines(SumOfFirstTwoBytes())}\n-- mem\n01 02\n-- result\n3\n");
        Assert.That(ToolRun.Invoke("run", data).Out.Trim(), Is.EqualTo("0000000000000003"));

        string elf = dir.Write("prog.o", new TestElfWriter { Text = Bytes(Return(9)) }.Build());
        Assert.That(ToolRun.Invoke("run", elf, "--trusted").Out.Trim(), Is.EqualTo("0000000000000009"));
    }

    [Test]
    public void RunStopsARunawayProgram()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("forever.bin", Bytes(Forever()));

        var run = ToolRun.Invoke("run", program, "--budget", "5000");

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("budget"));
        Assert.That(run.Out, Is.Empty);
    }

    [Test]
    public void RunReportsOutOfBoundsAccessInCheckedMode()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("oob.bin", Bytes(SumOfFirstTwoBytes()));

        var run = ToolRun.Invoke("run", program); // no memory: r1 = 0

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("instruction 0"));
    }

    [Test]
    public void AsmWritesBytecodeAsHexOrBinary()
    {
        using var dir = new TemporaryDirectory();
        string data = dir.Write("case.data", $"-- raw\n{RawLines(Return(4))}\n-- result\n4\n");
        string output = Path.Combine(dir.Path, "out.bin");

        var hex = ToolRun.Invoke("asm", data);
        Assert.That(hex.ExitCode, Is.EqualTo(0), hex.ToString());
        Assert.That(hex.OutLines, Is.EqualTo(Return(4).Select(i => i.ToHex())));

        var binary = ToolRun.Invoke("asm", data, "-o", output);
        Assert.That(binary.ExitCode, Is.EqualTo(0), binary.ToString());
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(Bytes(Return(4))));
    }

    [Test]
    public void DisasmIlPrintsTheGeneratedIL()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("p.bin", Bytes(Return(4)));

        var run = ToolRun.Invoke("disasm", program, "--il");

        if (Bpf.Cli.Engines.All.All(e => e.DumpIL is null))
        {
            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("jit engine"));
            return;
        }

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("ret"));
    }

    [Test]
    public void MissingFileIsAClearError()
    {
        var run = ToolRun.Invoke("run", "/definitely/not/here.bin");
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.StartWith("bpfjit run: ").And.Contains("here.bin"));
        Assert.That(run.Error, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void TruncatedBytecodeIsAClearError()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("short.bin", Bytes(Return(1))[..12]);

        var run = ToolRun.Invoke("run", program);

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("short.bin").And.Contains("not a multiple of 8"));
    }

    [Test]
    public void BadMemoryHexIsAClearError()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("p.bin", Bytes(Return(1)));
        string memory = dir.Write("m.hex", "00 01\n0x02\n");

        var run = ToolRun.Invoke("run", program, "--mem", memory);

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("m.hex, line 2").And.Contains("'0x02'"));
    }

    [Test]
    public void TruncatedAndHostileElfFilesAreClearErrors()
    {
        using var dir = new TemporaryDirectory();
        var elf = new TestElfWriter { Text = Bytes(Return(1)) }.Build(out int shoff);
        foreach (int length in new[] { 4, 40, 64, shoff + 10 })
        {
            string file = dir.Write($"cut{length}.o", elf[..length]);
            var run = ToolRun.Invoke("run", file);
            Assert.That(run.ExitCode, Is.EqualTo(1), $"{length}: {run}");
            Assert.That(run.Error, Does.Contain($"cut{length}.o: ELF:"));
        }

        var hostile = (byte[])elf.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(hostile.AsSpan(shoff + 64 + 32), ulong.MaxValue); // .text sh_size
        var hostileRun = ToolRun.Invoke("run", dir.Write("hostile.o", hostile));
        Assert.That(hostileRun.ExitCode, Is.EqualTo(1));
        Assert.That(hostileRun.Error, Does.Contain("section #1"));
    }

    [Test]
    public void MalformedDataFileNamesTheLine()
    {
        using var dir = new TemporaryDirectory();
        string data = dir.Write("bad.data", "-- result\n1\n-- mem\nzz\n");

        var run = ToolRun.Invoke("run", data);

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("bad.data:4:"));
    }

    [TestCase(new string[0], 2, "Usage: bpfjit COMMAND")]
    [TestCase(new[] { "frobnicate" }, 2, "unknown command 'frobnicate'")]
    [TestCase(new[] { "run" }, 2, "needs one argument")]
    [TestCase(new[] { "run", "a", "b" }, 2, "unexpected 'b'")]
    [TestCase(new[] { "run", "a", "--fast" }, 2, "unknown option '--fast'")]
    [TestCase(new[] { "run", "a", "--budget" }, 2, "--budget needs a value")]
    [TestCase(new[] { "run", "a", "--budget", "-5" }, 2, "positive number")]
    [TestCase(new[] { "run", "a", "--trusted", "--budget", "5" }, 2, "cannot be combined")]
    [TestCase(new[] { "run", "a", "--engine", "nope" }, 2, "unknown engine 'nope'")]
    public void BadArgumentsAreUsageErrors(string[] args, int exitCode, string message)
    {
        var run = ToolRun.Invoke(args);
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(run.Out, Is.Empty);
    }

    [Test]
    public void HelpIsAvailableForTheToolAndEachCommand()
    {
        var tool = ToolRun.Invoke("--help");
        Assert.That(tool.ExitCode, Is.EqualTo(0));
        foreach (string command in new[] { "run", "asm", "disasm", "conformance", "plugin" })
        {
            Assert.That(tool.Out, Does.Contain(command));
            var help = ToolRun.Invoke(command, "--help");
            Assert.That(help.ExitCode, Is.EqualTo(0), command);
            Assert.That(help.Out, Does.StartWith($"Usage: bpfjit {command}"));
            Assert.That(ToolRun.Invoke("help", command).Out, Is.EqualTo(help.Out));
        }
    }
}
