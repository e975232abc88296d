using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Samples;
using Bpf.Verification;

namespace Bpf.Tests.Runtime;

/// <summary>
/// Which programs are verified and which run in checked mode: programs of objects are verified by
/// default and run without checks; checked mode is the host's opt-in; bare images stay checked.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class VerifyByDefaultTests(string engineName)
{
    // Reads the first byte of its input without checking the length (r2) first: in bounds for a
    // non-empty input, but not provably so.
    private const string UnprovenRead = "ldxb %r0, [%r1]\nexit";
    private const string ProvenRead = "mov %r0, 0\njlt %r2, 1, done\nldxb %r0, [%r1]\ndone:\nexit";

    private readonly IBpfEngine _engine = Engines.Get(engineName);

    private static BpfObject VerifierCases(LoadOptions? options = null) => BpfObject.Load(RepositoryFiles.TestObject("verifier_cases"), options: options);

    [Test]
    public void AnObjectsProgramIsVerifiedAndRunsWithoutChecksByDefault()
    {
        using var obj = VerifierCases();
        var program = obj.Programs["safe_packet"].Prepare(_engine);
        Assert.Multiple(() =>
        {
            Assert.That(program.Options.Safety, Is.EqualTo(ProgramSafety.Verified));
            Assert.That(program.Options.Checked, Is.False);
            Assert.That(program.Image.IsVerified, Is.True);
        });
    }

    [Test]
    public void AnUnsafeProgramOfAnObjectIsRejectedByDefault()
    {
        using var obj = VerifierCases();
        var error = Assert.Throws<VerificationException>(() => obj.Programs["unchecked_packet"].Prepare(_engine));
        Assert.That(error!.Program, Is.EqualTo("unchecked_packet"));
        Assert.That(error.Diagnostics.Single().Code, Is.EqualTo(DiagnosticCode.OutOfBounds));
        Assert.That(error.Message, Does.Contain("verifier_cases.c:51"));
    }

    [Test]
    public void CheckedModeRunsAnUnsafeProgramAndTrapsCleanly()
    {
        using var obj = VerifierCases();
        var program = obj.Programs["unchecked_packet"].Prepare(_engine, ExecutionOptions.CheckedDefault);
        Assert.That(program.Options.Checked, Is.True);
        Assert.That(program.RunXdp(Packets.Ipv4To("10.0.0.1")).Action, Is.EqualTo(XdpAction.Pass), "h_proto is IPv4");

        // Without tailroom the 12-byte packet ends before h_proto: checked mode stops the read.
        var error = Assert.Throws<BpfRuntimeException>(() => XdpContext.Run(program, new byte[12], tailroom: 0));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void TheObjectsLoadOptionsCanChooseCheckedModeForAllItsPrograms()
    {
        using var obj = VerifierCases(new LoadOptions { Execution = ExecutionOptions.CheckedDefault });
        var program = obj.Programs["unchecked_packet"].Prepare(_engine);
        Assert.That(program.Options.Safety, Is.EqualTo(ProgramSafety.Checked));
        Assert.That(obj.Programs["unchecked_packet"].Image.IsVerified, Is.False, "checked mode verifies nothing");
    }

    [Test]
    public void OptionsWithoutASafetyAreVerifiedForAnObject()
    {
        using var obj = VerifierCases();
        Assert.Throws<VerificationException>(() => obj.Programs["unchecked_packet"].Prepare(_engine, new ExecutionOptions { Trace = _ => { } }));
    }

    [Test]
    public void TheOlderSpellingCheckedFalseMeansVerified()
    {
        var options = ExecutionOptions.Default with { Checked = false };
        Assert.That(options.Safety, Is.EqualTo(ProgramSafety.Verified));
        Assert.That((ExecutionOptions.Default with { Checked = true }).Safety, Is.EqualTo(ProgramSafety.Checked));
        Assert.Throws<VerificationException>(() => _engine.Prepare(Assembler.Assemble(UnprovenRead), options));
    }

    [Test]
    public void ABareImageRunsInCheckedModeByDefault()
    {
        var program = _engine.Prepare(Assembler.Assemble("ldxb %r0, [%r1+100]\nexit"), ExecutionOptions.Default);
        Assert.That(program.Options.Checked, Is.True);
        var error = Assert.Throws<BpfRuntimeException>(() => program.Run(new byte[4]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void ABareImageIsVerifiedWhenTheHostAsks()
    {
        var verified = new ExecutionOptions { Safety = ProgramSafety.Verified };
        Assert.That(_engine.Prepare(Assembler.Assemble(ProvenRead), verified).Run([42]), Is.EqualTo(42UL));
        var error = Assert.Throws<VerificationException>(() => _engine.Prepare(Assembler.Assemble(UnprovenRead), verified));
        Assert.That(error!.Diagnostics[0].Code, Is.EqualTo(DiagnosticCode.OutOfBounds));

        // Through the image's cache too (the way tail calls reach their targets).
        var image = new ProgramImage(Assembler.Assemble(UnprovenRead));
        Assert.Throws<VerificationException>(() => image.GetExecutable(_engine, verified));
        Assert.That(image.IsVerified, Is.False);
    }

    [Test]
    public void TrustedModeNeitherVerifiesNorChecks()
    {
        var image = new ProgramImage(Assembler.Assemble(UnprovenRead));
        var program = _engine.Prepare(image, new ExecutionOptions { Safety = ProgramSafety.Trusted });
        Assert.That(program.Run([42]), Is.EqualTo(42UL));
        Assert.That(program.Options.Checked, Is.False);
        Assert.That(image.IsVerified, Is.False, "trusted mode does not run the verifier");
    }

    [Test]
    public void AVerifiedProgramCannotTailCallAnUnverifiedOne()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("tail_calls"));
        var unsafeTarget = new ProgramImage(Assembler.Assemble("ldxdw %r0, [%r1+4096]\nexit"), type: ProgramType.ForKind(BpfProgramKind.Xdp), name: "wild");
        obj.Map<ProgramArrayMap>("handlers").SetProgram(0, unsafeTarget);
        var error = Assert.Throws<VerificationException>(() => obj.Programs["dispatch"].Prepare(_engine));
        Assert.That(error!.Program, Is.EqualTo("wild"));
        Assert.That(obj.Programs["dispatch"].Prepare(_engine, ExecutionOptions.CheckedDefault), Is.Not.Null, "checked mode checks the target as it runs");
    }

    [Test]
    public void AVerifiedXdpProgramRefusesRawMemory()
    {
        using var obj = VerifierCases();
        var program = obj.Programs["safe_packet"].Prepare(_engine);
        Assert.Throws<InvalidOperationException>(() => program.Run(new byte[64]));
    }
}
