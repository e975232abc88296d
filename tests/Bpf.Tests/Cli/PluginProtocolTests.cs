using System.Diagnostics;
using Bpf.Tests.Elf;
using static Bpf.Tests.Cli.Programs;

namespace Bpf.Tests.Cli;

public class PluginProtocolTests
{
    private static IEnumerable<string> EngineNames => Bpf.Cli.Engines.All.Select(e => e.Name);

    [TestCaseSource(nameof(EngineNames))]
    public void RunsTheProgramOnTheMemoryAndPrintsR0InHex(string engine)
    {
        string program = PluginHex(Bytes(SumOfFirstTwoBytes())) + "\n";

        var run = ToolRun.InvokeWithInput(program, "plugin", "10  20  ff  ", "--engine", engine);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Is.EqualTo("0000000000000030" + Environment.NewLine));
    }

    [Test]
    public void WithoutMemoryR1AndR2AreZero()
    {
        // r0 = r1 + r2
        var program = Bytes(new Bpf.Isa.Instruction(0xbf, 0, 1), Add(0, 2), Exit());

        var run = ToolRun.InvokeWithInput(PluginHex(program), "plugin");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out.Trim(), Is.EqualTo("0000000000000000"));
    }

    [Test]
    public void AcceptsTheArgumentsAsRunnersPassThem()
    {
        string program = PluginHex(Bytes(Return(-1)));
        // The runner puts the memory first, may pass it empty, and may pass the options as one argument.
        var swapped = ToolRun.InvokeWithInput(program, "", "plugin", "--engine interpreter");
        Assert.That(swapped.ExitCode, Is.EqualTo(0), swapped.ToString());
        Assert.That(swapped.Out.Trim(), Is.EqualTo("ffffffffffffffff"));
    }

    [Test]
    public void RejectionIsANonZeroExitWithTheMessageOnStandardOutput()
    {
        string program = "b7 00 01 00 01 00 00 00 95 00 00 00 00 00 00 00"; // reserved offset set

        var run = ToolRun.InvokeWithInput(program, "plugin");

        Assert.That(run.ExitCode, Is.Not.EqualTo(0));
        Assert.That(run.Out, Does.Contain("instruction 0"));
        Assert.That(run.Error, Is.Empty);
    }

    [Test]
    public void BadHexIsReported()
    {
        var program = ToolRun.InvokeWithInput("b7 0 zz", "plugin");
        Assert.That(program.ExitCode, Is.EqualTo(1));
        Assert.That(program.Out, Does.Contain("standard input").And.Contains("not hex bytes"));

        var memory = ToolRun.InvokeWithInput(PluginHex(Bytes(Return(0))), "plugin", "0g  ");
        Assert.That(memory.ExitCode, Is.EqualTo(1));
        Assert.That(memory.Out, Does.Contain("memory argument"));
    }

    [Test]
    public void EmptyProgramIsRejected()
    {
        var run = ToolRun.InvokeWithInput("\n", "plugin");
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Out, Does.Contain("no instructions"));
    }

    [Test]
    public void RunawayProgramIsStopped()
    {
        var run = ToolRun.InvokeWithInput(PluginHex(Bytes(Forever())), "plugin", "--budget", "1000");
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Out, Does.Contain("budget"));
    }

    [Test]
    public void ElfObjectsRunTheirTextSection()
    {
        var elf = new TestElfWriter { Text = Bytes(SumOfFirstTwoBytes()) }.Build();

        var run = ToolRun.InvokeWithInput(PluginHex(elf) + "\n", "plugin", "01  02  ", "--elf");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out.Trim(), Is.EqualTo("0000000000000003"));
    }

    [Test]
    public void ElfObjectsWithRelocationsAreRefused()
    {
        var writer = new TestElfWriter { Text = Bytes(Return(1)) };
        writer.AddSection(".rel.text", 9, new byte[16], link: 3, info: 1, entrySize: 16);

        var run = ToolRun.InvokeWithInput(PluginHex(writer.Build()), "plugin", "--elf");

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Out, Does.Contain("relocations").And.Contains(".rel.text"));
    }

    [Test]
    public void TruncatedAndHostileElfObjectsGiveAMessage()
    {
        var elf = new TestElfWriter { Text = Bytes(Return(1)) }.Build(out int shoff);
        foreach (int length in new[] { 3, 20, 63, 64, shoff, elf.Length - 1 })
        {
            var run = ToolRun.InvokeWithInput(PluginHex(elf.AsSpan(0, length)), "plugin", "--elf");
            Assert.That(run.ExitCode, Is.EqualTo(1), $"truncated to {length}: {run}");
            Assert.That(run.Out, Does.Contain("ELF"), $"truncated to {length}");
        }

        var hostile = (byte[])elf.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(hostile.AsSpan(60), 0xffff); // e_shnum
        var hostileRun = ToolRun.InvokeWithInput(PluginHex(hostile), "plugin", "--elf");
        Assert.That(hostileRun.ExitCode, Is.EqualTo(1));
        Assert.That(hostileRun.Out, Does.Contain("ELF").And.Contains("sections"));
    }

    [Test]
    public void WorksAsAChildProcess()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "bpfjit.dll");
        Assert.That(File.Exists(dll), Is.True, "bpfjit.dll is copied next to the tests by the project reference");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Exactly as the runner starts a plugin: memory first, then the options split on spaces.
        foreach (string arg in new[] { dll, "07  00  ", "plugin", "--engine", Bpf.Cli.Engines.Default.Name })
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        process.StandardInput.WriteLine(PluginHex(Bytes(SumOfFirstTwoBytes())));
        process.StandardInput.Close();
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(60_000), Is.True);

        Assert.That(process.ExitCode, Is.EqualTo(0), error);
        Assert.That(output.Trim(), Is.EqualTo("0000000000000007"));
    }
}
