namespace Bpf.Tests.Cli;

/// <summary>The commands on assembly text and on data files with assembly.</summary>
public class AssemblyCommandTests
{
    private const string Program = """
        # r0 = 40 + 2
        mov %r0, 40
        add %r0, 2
        exit
        """;

    [Test]
    public void AsmPrintsHexAndWritesBinary()
    {
        using var dir = new TemporaryDirectory();
        string source = dir.Write("p.asm", Program);
        string output = Path.Combine(dir.Path, "p.bin");

        var hex = ToolRun.Invoke("asm", source);
        Assert.That(hex.ExitCode, Is.EqualTo(0), hex.ToString());
        Assert.That(hex.OutLines, Is.EqualTo(new[]
        {
            "b7 00 00 00 28 00 00 00",
            "07 00 00 00 02 00 00 00",
            "95 00 00 00 00 00 00 00",
        }));

        Assert.That(ToolRun.Invoke("asm", source, "--output", output).ExitCode, Is.EqualTo(0));
        Assert.That(ToolRun.Invoke("run", output).Out.Trim(), Is.EqualTo("000000000000002a"));
        // Text without an extension is recognised as assembly; bytes with zeros as bytecode.
        File.Copy(source, Path.Combine(dir.Path, "noext"));
        Assert.That(ToolRun.Invoke("run", Path.Combine(dir.Path, "noext")).Out.Trim(), Is.EqualTo("000000000000002a"));
    }

    [Test]
    public void DisasmPrintsEachStyle()
    {
        using var dir = new TemporaryDirectory();
        string source = dir.Write("p.asm", Program);
        string binary = Path.Combine(dir.Path, "p.bin");
        ToolRun.Invoke("asm", source, "-o", binary);

        var plain = ToolRun.Invoke("disasm", binary);
        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
        Assert.That(plain.Out, Does.Contain("mov %r0, 40").And.Contains("exit"));

        var llvm = ToolRun.Invoke("disasm", binary, "--llvm", "--indices");
        Assert.That(llvm.Out, Does.Contain("r0 = 40").And.Contains("1:"));

        var conflicting = ToolRun.Invoke("disasm", binary, "--il", "--llvm");
        Assert.That(conflicting.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void AssemblerErrorsNameTheFileAndLine()
    {
        using var dir = new TemporaryDirectory();
        string source = dir.Write("bad.asm", "mov %r0, 1\nfrobnicate %r0\nexit\n");

        var run = ToolRun.Invoke("run", source);

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("bad.asm: line 2:").And.Contains("frobnicate"));
    }

    [Test]
    public void AssemblerErrorsInDataFilesNameTheFileLine()
    {
        using var dir = new TemporaryDirectory();
        string data = dir.Write("bad.data", "# header\n-- asm\nmov %r0, 1\nfrobnicate %r0\nexit\n-- result\n1\n");

        var run = ToolRun.Invoke("run", data);
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Error, Does.Contain("line 2:").And.Contains("bad.data:4"));

        var conformance = ToolRun.Invoke("conformance", data, "--engine", "interpreter");
        Assert.That(conformance.OutLines[0], Does.StartWith("FAIL").And.Contains("rejected by the assembler").And.Contains("bad.data:4"));
    }

    [Test]
    public void DataFilesWithAsmAndRawRunTheRawAndCheckThatTheyAgree()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("agree.data", "-- asm\nmov %r0, 3\nexit\n-- raw\n0x00000003000000b7\n0x0000000000000095\n-- result\n3\n");
        dir.Write("disagree.data", "-- asm\nmov %r0, 3\nexit\n-- raw\n0x00000004000000b7\n0x0000000000000095\n-- result\n4\n");

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "interpreter");

        Assert.That(run.OutLines[0], Does.StartWith("PASS").And.Contains("agree.data"));
        Assert.That(run.OutLines[1], Does.StartWith("FAIL").And.Contains("disagree at instruction 0"));
        Assert.That(run.OutLines[^1], Is.EqualTo("1 passed, 1 failed"));
    }

    [Test]
    public void NegativeAssemblerRejectionsPass()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("negative/bad-register.data", "-- asm\nor %r0, %r50\nexit\n-- error\nInvalid register\n");
        dir.Write("negative/bad-mnemonic.data", "-- asm\nldxq %r0, %r1\nexit\n-- result\n0x11\n");

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "all");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.OutLines.SkipLast(1), Has.All.Contains("rejected by the assembler"));
    }
}
