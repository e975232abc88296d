namespace Bpf.Tests.Cli;

/// <summary>
/// <c>bpfjit run --verify | --checked | --trusted</c>: object files are verified by default,
/// instruction-set programs (bytecode, assembly, .data) run in checked mode by default.
/// </summary>
public class RunSafetyTests
{
    // Reads its first input byte without checking the length first: in bounds for one byte, but not provably so.
    private const string UnprovenRead = "ldxb %r0, [%r1]\nexit\n";

    private static string VerifierCases => RepositoryFiles.TestObject("verifier_cases");

    private static string Ipv4Packet => Path.Combine(RepositoryFiles.BpfSamples, "packets", "ipv4.hex");

    [TestCase("jit")]
    [TestCase("interpreter")]
    public void AnObjectsUnsafeProgramIsRejectedByDefault(string engine)
    {
        var run = ToolRun.Invoke("run", VerifierCases, "--program", "unchecked_packet", "--packet", Ipv4Packet, "--engine", engine);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("BPF0020").And.Contain("verifier_cases.c:51"));
        Assert.That(run.Out, Is.Empty);

        var verified = ToolRun.Invoke("run", VerifierCases, "--program", "unchecked_packet", "--packet", Ipv4Packet, "--verify");
        Assert.That(verified.ExitCode, Is.EqualTo(1), "--verify is the default for objects");
    }

    [Test]
    public void PrivilegedVerifiesWithLinuxsRulesForRoot()
    {
        // padded_key passes a key whose padding it never wrote: strict refuses it, Linux (root) does not.
        string rules = RepositoryFiles.TestObject("verifier_rules");
        var strict = ToolRun.Invoke("run", rules, "--program", "padded_key", "--packet", Ipv4Packet);
        Assert.That(strict.ExitCode, Is.EqualTo(1), strict.ToString());
        Assert.That(strict.Error, Does.Contain("BPF0011"));
        var privileged = ToolRun.Invoke("run", rules, "--program", "padded_key", "--packet", Ipv4Packet, "--privileged");
        Assert.That(privileged.ExitCode, Is.EqualTo(0), privileged.ToString());
        Assert.That(privileged.Out, Does.StartWith("XDP_PASS (2)"), "the map is empty, so the lookup fails");
        Assert.That(ToolRun.Invoke("run", rules, "--program", "padded_key", "--packet", Ipv4Packet, "--privileged", "--checked").ExitCode, Is.Not.EqualTo(0));
    }

    [TestCase("jit")]
    [TestCase("interpreter")]
    public void CheckedRunsAnObjectsProgramUnverified(string engine)
    {
        var run = ToolRun.Invoke("run", VerifierCases, "--program", "unchecked_packet", "--packet", Ipv4Packet, "--checked", "--budget", "1000", "--engine", engine);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.StartWith("XDP_PASS (2)"), "ipv4.hex is an IPv4 packet");
    }

    [Test]
    public void BytecodeRunsCheckedByDefaultAndVerifiedOnRequest()
    {
        using var dir = new TemporaryDirectory();
        string program = dir.Write("unproven.asm", UnprovenRead);
        string memory = dir.Write("mem.hex", "2a");
        Assert.Multiple(() =>
        {
            Assert.That(ToolRun.Invoke("run", program, "--mem", memory).Out.Trim(), Is.EqualTo("000000000000002a"), "checked mode by default");
            Assert.That(ToolRun.Invoke("run", program, "--mem", memory, "--trusted").Out.Trim(), Is.EqualTo("000000000000002a"));
            var verified = ToolRun.Invoke("run", program, "--mem", memory, "--verify");
            Assert.That(verified.ExitCode, Is.EqualTo(1), verified.ToString());
            Assert.That(verified.Error, Does.Contain("BPF0020"));
        });
    }

    [Test]
    public void ABudgetNeedsCheckedModeForAnObject()
    {
        var run = ToolRun.Invoke("run", VerifierCases, "--program", "safe_packet", "--packet", Ipv4Packet, "--budget", "1000");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("add --checked"));
    }

    [TestCase("--verify", "--checked")]
    [TestCase("--checked", "--trusted")]
    [TestCase("--verify", "--trusted")]
    public void TheSafetyFlagsExcludeEachOther(string first, string second)
    {
        var run = ToolRun.Invoke("run", "a.bin", first, second);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("give one of --verify, --checked and --trusted"));
    }

    [Test]
    public void ABudgetCannotGoWithVerify()
    {
        var run = ToolRun.Invoke("run", "a.bin", "--verify", "--budget", "5");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("cannot be combined with --verify"));
    }
}
