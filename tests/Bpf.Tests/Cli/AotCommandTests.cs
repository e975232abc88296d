using Bpf.Runtime;

namespace Bpf.Tests.Cli;

/// <summary><c>bpfjit aot</c>: writes the assembly, its PDB and listing; refuses rejected programs unless <c>--checked</c>.</summary>
public class AotCommandTests
{
    [Test]
    public void WritesTheAssemblyThePdbAndTheListing()
    {
        using var directory = new TemporaryDirectory();
        string output = Path.Combine(directory.Path, "Counter.dll");
        var run = ToolRun.Invoke("aot", RepositoryFiles.SampleObject("xdp_counter"), "-o", output, "--namespace", "My.Programs", "--class", "Counter");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.Exists(output) && File.Exists(Path.ChangeExtension(output, ".pdb")) && File.Exists(Path.Combine(directory.Path, "xdp_counter.bpf.s")), Is.True, run.ToString());
        Assert.That(run.Out, Does.Contain("class My.Programs.Counter"));
    }

    [Test]
    public void RefusesProgramsTheVerifierRejectsUnlessChecked()
    {
        using var directory = new TemporaryDirectory();
        string cases = RepositoryFiles.TestObject("verifier_cases");
        using var obj = BpfObject.Load(cases);
        string rejected = obj.ProgramList.First(p => !p.Verify().IsAccepted).Name;
        string output = Path.Combine(directory.Path, "Cases.dll");

        var refused = ToolRun.Invoke("aot", cases, "-o", output, "--program", rejected);
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Error, Does.Contain($"{rejected}: rejected by the verifier").And.Contain("BPF0"));
        Assert.That(File.Exists(output), Is.False);

        var written = ToolRun.Invoke("aot", cases, "-o", output, "--program", rejected, "--checked");
        Assert.That(written.ExitCode, Is.EqualTo(0), written.ToString());
        Assert.That(File.Exists(output), Is.True);
    }

    [Test]
    public void AnUnwritableOutputIsAnErrorNotACrash()
    {
        var run = ToolRun.Invoke("aot", RepositoryFiles.SampleObject("xdp_counter"), "-o", "/nonexistent-directory/out.dll");
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("cannot write"));
    }
}
