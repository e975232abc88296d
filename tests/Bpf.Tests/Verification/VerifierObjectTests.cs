using Bpf.Runtime;
using Bpf.Tests.Kernel;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The verifier on objects built from C: the samples and test programs, and verifier_cases.c whose
/// safe and unsafe programs must get the kernel's verdict, with diagnostics that name the C line.
/// </summary>
public class VerifierObjectTests
{
    private static VerificationResult Verify(BpfProgram program, VerifierPolicy policy = VerifierPolicy.Strict) =>
        ProgramVerifier.Verify(program.Code, VerifierOptions.For(program) with { Policy = policy });

    [TestCase("xdp_counter")]
    [TestCase("config")]
    [TestCase("lpm_router")]
    [TestCase("ringbuf_events")]
    [TestCase("tail_calls")]
    [TestCase("loops")]
    [TestCase("arena")]
    public void SamplesAreAccepted(string sample)
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject(sample));
        foreach (var program in obj.ProgramList)
            Assert.That(Verify(program).Diagnostics, Is.Empty, $"{sample}:{program.Name}");
    }

    [TestCase("subprograms")]
    [TestCase("globals")]
    [TestCase("legacy_maps")]
    [TestCase("externs")]
    [TestCase("core")]
    [TestCase("map_in_map")]
    [TestCase("printk")]
    public void TestObjectsAreAccepted(string name)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject(name));
        foreach (var program in obj.ProgramList)
            Assert.That(Verify(program).Diagnostics, Is.Empty, $"{name}:{program.Name}");
    }

    [TestCase("safe_lookup", null)]
    [TestCase("unchecked_lookup", DiagnosticCode.PossiblyNull)]
    [TestCase("safe_packet", null)]
    [TestCase("unchecked_packet", DiagnosticCode.OutOfBounds)]
    [TestCase("value_overrun", DiagnosticCode.OutOfBounds)]
    [TestCase("safe_reservation", null)]
    [TestCase("leaked_reservation", DiagnosticCode.UnreleasedReference)]
    public void VerdictsNameTheSourceLine(string name, DiagnosticCode? expected)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_cases"));
        var result = Verify(obj.Programs[name]);
        if (expected is null)
        {
            Assert.That(result.Diagnostics, Is.Empty);
            return;
        }

        var diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.Code, Is.EqualTo(expected));
        // The unsafe line carries an UNSAFE comment in the C source; a leaked reference is reported
        // at the exit, whose message names the reserving line.
        string unsafeLine = $"verifier_cases.c:{UnsafeLineOf(name)}";
        Assert.That(diagnostic.ToString(), Does.Contain(unsafeLine), diagnostic.ToString());
    }

    [TestCase("safe_lookup")]
    [TestCase("unchecked_lookup")]
    [TestCase("safe_packet")]
    [TestCase("unchecked_packet")]
    [TestCase("value_overrun")]
    [TestCase("safe_reservation")]
    [TestCase("leaked_reservation")]
    public void VerdictsAgreeWithTheKernel(string name)
    {
        string path = RepositoryFiles.TestObject("verifier_cases");
        var kernel = KernelObject.Accepts(path, name, out string whyNot) ?? throw new IgnoreException(whyNot);
        using var obj = BpfObject.Load(path);
        // The kernel loads as root, so the comparison is with the privileged policy.
        Assert.That(Verify(obj.Programs[name], VerifierPolicy.Privileged).IsAccepted, Is.EqualTo(kernel), kernel ? "the kernel accepts it" : "the kernel rejects it");
    }

    [TestCase("arena", "record_length")]
    public void SampleVerdictsAgreeWithTheKernel(string sample, string program)
    {
        string path = RepositoryFiles.SampleObject(sample);
        var kernel = KernelObject.Accepts(path, program, out string whyNot) ?? throw new IgnoreException(whyNot);
        Assert.That(kernel, Is.True, "the kernel accepts the sample");
        using var obj = BpfObject.Load(path);
        Assert.That(Verify(obj.Programs[program], VerifierPolicy.Privileged).IsAccepted, Is.True, "privileged, as the kernel loads it");
        Assert.That(Verify(obj.Programs[program]).IsAccepted, Is.True, "strict, as hosts run it");
    }

    [TestCase("interpreter")]
    [TestCase("jit")]
    public void UncheckedModeRunsOnlyVerifiedPrograms(string engine)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_cases"));
        var unchecked_ = ExecutionOptions.Default with { Checked = false };
        var error = Assert.Throws<VerificationException>(() => obj.Programs["unchecked_packet"].Prepare(Runtime.Engines.Get(engine), unchecked_));
        Assert.That(error!.Diagnostics.Single().Code, Is.EqualTo(DiagnosticCode.OutOfBounds));
        Assert.That(error.Message, Does.Contain("unchecked_packet").And.Contain("BPF0020"));

        // A verified program runs without checks and gives what checked mode gives.
        var packet = Samples.Packets.Ipv4To("10.0.0.1");
        var fast = obj.Programs["safe_packet"].Prepare(Runtime.Engines.Get(engine), unchecked_);
        var careful = obj.Programs["safe_packet"].Prepare(Runtime.Engines.Get(engine));
        Assert.That(Bpf.Runtime.Contexts.XdpContext.Run(fast, packet).Action, Is.EqualTo(Bpf.Runtime.Contexts.XdpContext.Run(careful, packet).Action));
        Assert.That(fast.Options.Checked, Is.False);
    }

    private static int UnsafeLineOf(string program)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryFiles.TestObjects, "verifier_cases.c"));
        int start = Array.FindIndex(lines, l => l.Contains($" {program}(", StringComparison.Ordinal));
        return Array.FindIndex(lines, start, l => l.Contains("UNSAFE", StringComparison.Ordinal)) + 1;
    }
}
