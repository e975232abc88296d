using System.Text.Json;

namespace Bpf.Tests.Cli;

/// <summary><c>bpfjit verify</c>: verdicts per program, diagnostics with source lines, JSON, the log, exit codes.</summary>
public class VerifyCommandTests
{
    private static string Cases => RepositoryFiles.TestObject("verifier_cases");

    [Test]
    public void PrintsAVerdictPerProgramAndFailsOnARejection()
    {
        var run = ToolRun.Invoke("verify", Cases);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Out, Does.Contain("safe_lookup: accepted"));
        Assert.That(run.Out, Does.Match(@"unchecked_lookup: rejected .*\n  BPF0021: insn \d+ \(ldxdw %r1, \[%r0\+0\]\): verifier_cases\.c:\d+: r0 may be null here"));
    }

    [Test]
    public void AnAcceptedProgramExitsZero()
    {
        var run = ToolRun.Invoke("verify", Cases, "--program", "safe_packet");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.OutLines, Has.Length.EqualTo(1));
    }

    [Test]
    public void JsonCarriesTheDiagnostics()
    {
        var run = ToolRun.Invoke("verify", Cases, "--program", "value_overrun", "--json");
        using var json = JsonDocument.Parse(run.Out);
        var verdict = json.RootElement[0];
        Assert.That(verdict.GetProperty("accepted").GetBoolean(), Is.False);
        var diagnostic = verdict.GetProperty("diagnostics")[0];
        Assert.That(diagnostic.GetProperty("code").GetString(), Is.EqualTo("BPF0020"));
        Assert.That(diagnostic.GetProperty("text").GetString(), Is.EqualTo("ldxdw %r1, [%r0+8]"));
        Assert.That(diagnostic.GetProperty("source").GetString(), Does.StartWith("verifier_cases.c:"));
    }

    [Test]
    public void TheLogShowsTheStateAtEachInstruction()
    {
        var run = ToolRun.Invoke("verify", Cases, "--program", "safe_lookup", "--log");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.StartWith("0: mov %r1, 1 ; r1 = context, r10 = fp\n1: stxw [%r10-4], %r1 ; r1 = 1, r10 = fp"));
    }

    [Test]
    public void RawProgramsGetTheirLengthInR2()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "verify-raw");
        Directory.CreateDirectory(dir);
        var safe = Path.Combine(dir, "safe.asm");
        File.WriteAllText(safe, "mov %r0, 0\njlt %r2, 2, +1\nldxh %r0, [%r1+0]\nexit\n");
        var unsafeFile = Path.Combine(dir, "unsafe.asm");
        File.WriteAllText(unsafeFile, "ldxh %r0, [%r1+0]\nexit\n");
        Assert.That(ToolRun.Invoke("verify", safe).ExitCode, Is.EqualTo(0));
        var rejected = ToolRun.Invoke("verify", unsafeFile);
        Assert.That(rejected.ExitCode, Is.EqualTo(1));
        Assert.That(rejected.Out, Does.Contain("BPF0020: insn 0 (ldxh %r0, [%r1+0])"));
    }

    [Test]
    public void StrictIsTheDefaultAndPrivilegedIsAnOption()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "verify-policy");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "uninit.asm");
        File.WriteAllText(file, "ldxdw %r0, [%r10-8]\nexit\n");
        var strict = ToolRun.Invoke("verify", file);
        Assert.That(strict.ExitCode, Is.EqualTo(1), strict.ToString());
        Assert.That(strict.Out, Does.Contain("BPF0011: insn 0 (ldxdw %r0, [%r10-8])"));
        Assert.That(ToolRun.Invoke("verify", file, "--privileged").ExitCode, Is.EqualTo(0));
    }
}
