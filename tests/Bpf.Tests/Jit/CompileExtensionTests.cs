using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Samples;
using Bpf.Verification;

namespace Bpf.Tests.Jit;

/// <summary>The object API's <c>Compile()</c>: verified, on the JIT.</summary>
public class CompileExtensionTests
{
    [Test]
    public void CompileUsesTheJitAndVerifies()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("xdp_counter"));
        var program = obj.Programs["count_packets"].Compile();
        Assert.Multiple(() =>
        {
            Assert.That(BpfProgramCompilation.DefaultEngine, Is.SameAs(JitEngine.Instance), "this runtime compiles dynamic code");
            Assert.That(program.Engine, Is.SameAs(JitEngine.Instance));
            Assert.That(program.Options.Safety, Is.EqualTo(ProgramSafety.Verified));
            Assert.That(program.RunXdp(Packets.Ipv4To("10.0.0.1")).Action, Is.EqualTo(XdpAction.Pass));
        });
    }

    [Test]
    public void CompileTakesCheckedModeAsAnOption()
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_cases"));
        Assert.Throws<VerificationException>(() => obj.Programs["unchecked_packet"].Compile());
        Assert.That(obj.Programs["unchecked_packet"].Compile(ExecutionOptions.CheckedDefault).Options.Checked, Is.True);
    }

    [Test]
    public void CompileAllCompilesEveryProgram()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("tail_calls"));
        var programs = obj.CompileAll();
        Assert.That(programs.Keys, Is.EquivalentTo(obj.ProgramList.Select(p => p.Name)));
        Assert.That(programs.Values.All(p => p.EngineName == JitEngine.EngineName), Is.True);
    }
}
