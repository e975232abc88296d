namespace Bpf.Tests.Cli;

/// <summary><c>bpfjit run</c> and <c>bpfjit inspect</c> on object files built from C.</summary>
public class ObjectCommandTests
{
    private static string Sample(string name) => RepositoryFiles.SampleObject(name);

    private static string Packet(string name) => Path.Combine(RepositoryFiles.BpfSamples, "packets", name + ".hex");

    [TestCase("jit")]
    [TestCase("interpreter")]
    public void RunCountsPacketsAcrossRepeatsAndDumpsTheMap(string engine)
    {
        var run = ToolRun.Invoke("run", Sample("xdp_counter"), "--packet", Packet("ipv4"), "--repeat", "3", "--dump-maps", "--engine", engine);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.StartWith("XDP_PASS (2), packet 64 bytes: 10 11 12"));
        // The key is the EtherType 0x0800 in host byte order; three runs counted three packets.
        Assert.That(run.Out, Does.Contain("  00 08 (2048) => 03 00 00 00 00 00 00 00 (3)"));
    }

    [Test]
    public void RunFollowsTailCallsAndListsProgramArrays()
    {
        var run = ToolRun.Invoke("run", Sample("tail_calls"), "--program", "dispatch", "--packet", Packet("arp"), "--dump-maps");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.StartWith("XDP_TX (3)"), "handle_arp returns XDP_TX");
        Assert.That(run.Out, Does.Contain("[2] => program handle_arp"));
        Assert.That(run.Out, Does.Contain("  02 00 00 00 (2) => 01 00 00 00 00 00 00 00 (1)"));
    }

    [Test]
    public void RunOfARawProgramPrintsR0()
    {
        var memory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "pythagoras.hex");
        File.WriteAllText(memory, "03 04");
        var run = ToolRun.Invoke("run", RepositoryFiles.TestObject("subprograms"), "--program", "pythagoras", "--mem", memory);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out.Trim(), Is.EqualTo("0000000000000019"));
    }

    [Test]
    public void SeveralProgramsNeedAChoice()
    {
        var run = ToolRun.Invoke("run", RepositoryFiles.TestObject("subprograms"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("--program").And.Contain("pythagoras").And.Contain("cube_plus_ten"));
        var unknown = ToolRun.Invoke("run", RepositoryFiles.TestObject("subprograms"), "--program", "nope");
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Error, Does.Contain("no program 'nope'"));
    }

    [Test]
    public void InspectListsProgramsMapsVariablesAndBtf()
    {
        var run = ToolRun.Invoke("inspect", Sample("config"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("license Dual MIT/GPL"));
        Assert.That(run.Out, Does.Contain("filter_by_config: section xdp, type xdp"));
        Assert.That(run.Out, Does.Contain(".rodata: Array, key 4, value 5, max_entries 1, flags ReadOnlyProgram (global data)"));
        Assert.That(run.Out, Does.Contain(".rodata +0: max_length (4 bytes) = dc 05 00 00"), "1500");
        Assert.That(run.Out, Does.Contain(".data +4: greeting (16 bytes) = 68 65 6c 6c 6f"), "\"hello...\"");
        Assert.That(run.Out, Does.Match(@"BTF: \d+ types; BTF.ext: 1 func info, \d+ line info"));

        var tail = ToolRun.Invoke("inspect", Sample("tail_calls"));
        Assert.That(tail.Out, Does.Contain("handlers: ProgArray, key 4, value 4, max_entries 3 (BTF-defined in .maps), initialised slots: [0] = handle_ipv4, [1] = handle_ipv6, [2] = handle_arp"));
    }

    [Test]
    public void ABrokenObjectIsAPlainError()
    {
        var broken = Path.Combine(TestContext.CurrentContext.WorkDirectory, "broken.o");
        var bytes = File.ReadAllBytes(Sample("xdp_counter"));
        File.WriteAllBytes(broken, bytes[..(bytes.Length / 2)]);
        foreach (var command in new[] { "run", "inspect" })
        {
            var run = ToolRun.Invoke(command, broken);
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain("broken.o: ELF: "));
            Assert.That(run.Error, Does.Not.Contain("   at "), "no stack trace");
        }
    }

    [TestCase("jit")]
    [TestCase("interpreter")]
    public void TracePrintkLinesArePrinted(string engine)
    {
        var memory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "printk.hex");
        File.WriteAllText(memory, "ab 01 02");
        var run = ToolRun.Invoke("run", RepositoryFiles.TestObject("printk"), "--mem", memory, "--engine", engine);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.OutLines, Is.EqualTo(new[] { "trace: length=3 first=ab", "0000000000000000" }));
    }
}
