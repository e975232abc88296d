using System.Runtime.Loader;
using Bpf.Aot;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Aot;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Cli;
using Bpf.Tests.Samples;
using Bpf.Verification;
using Mono.Cecil;

namespace Bpf.Tests.Aot;

/// <summary>
/// Assemblies written by <see cref="AotAssemblyWriter"/> (what <c>bpfjit aot</c> saves): loaded from
/// disk into a fresh load context they run the samples as the JIT does, reference nothing but
/// Bpf.Core and the framework, and refuse what they were not compiled for.
/// </summary>
public class AotObjectTests
{
    private static byte[] Sample(string name) => File.ReadAllBytes(RepositoryFiles.SampleObject(name));

    [Test]
    public void TheAssemblyReferencesOnlyBpfCoreAndTheFramework()
    {
        foreach (string sample in new[] { "config", "loops", "tail_calls", "ringbuf_events", "lpm_router", "xdp_counter" })
        {
            var written = AotAssemblyWriter.WriteObject(Sample(sample), sample);
            using var module = ModuleDefinition.ReadModule(new MemoryStream(written.Assembly));
            var references = module.AssemblyReferences.Select(r => r.Name).ToList();
            Assert.That(references, Does.Contain("Bpf.Core"), sample);
            Assert.That(references.Where(r => r != "Bpf.Core"), Has.All.StartsWith("System."), sample);
            Assert.That(module.GetTypeReferences().Select(t => t.Namespace), Has.None.StartWith("System.Reflection.Emit"), sample);
        }
    }

    [Test]
    public void AnAssemblyLoadedFromDiskInAFreshContextRunsTheConfigSampleLikeTheJit()
    {
        using var directory = new TemporaryDirectory();
        string path = Path.Combine(directory.Path, "Config.dll");
        var files = AotAssemblyWriter.WriteObject(Sample("config"), "config", new AotObjectOptions { Namespace = "Samples", ClassName = "ConfigObject" }).Save(path);
        Assert.That(files.Select(Path.GetFileName), Is.EquivalentTo(new[] { "Config.dll", "Config.pdb", "config.bpf.s" }));

        var context = new AssemblyLoadContext("aot test", isCollectible: true);
        try
        {
            var type = context.LoadFromAssemblyPath(path).GetType("Samples.ConfigObject", throwOnError: true)!;
            using var obj = (PrecompiledObject)Activator.CreateInstance(type)!;

            // The configuration as typed properties, set before the first run, like a skeleton's.
            type.GetProperty("max_length")!.SetValue(obj, 100u);
            type.GetProperty("drop_ipv6")!.SetValue(obj, (byte)1);
            var run = (BpfExecutable)type.GetProperty("filter_by_config")!.GetValue(obj)!;
            Assert.That(run, Is.InstanceOf<PrecompiledExecutable>());
            Assert.That(run.EngineName, Is.EqualTo("aot"));

            var packets = new[] { Packets.Ipv4To("1.2.3.4", length: 60), Packets.Ethernet(Packets.Ipv4, 200), Packets.Ethernet(Packets.Ipv6, 60), Packets.Ethernet(Packets.Arp, 42) };
            using var reference = BpfObject.Load(RepositoryFiles.SampleObject("config"));
            reference.Variable("max_length").Set(100u);
            reference.Variable("drop_ipv6").Set((byte)1);
            var jit = reference.Programs["filter_by_config"].Prepare(JitEngine.Instance, new ExecutionOptions { Checked = false });
            foreach (var packet in packets)
                Assert.That(XdpContext.Run(run, packet).Action, Is.EqualTo(XdpContext.Run(jit, packet).Action));

            Assert.That(type.GetProperty("passed")!.GetValue(obj), Is.EqualTo(2UL));
            Assert.That(type.GetProperty("dropped")!.GetValue(obj), Is.EqualTo(2UL));
            Assert.That(type.GetProperty("last_length")!.GetValue(obj), Is.EqualTo(42u));
            Assert.That(reference.Variable("passed").Get<ulong>(), Is.EqualTo(2UL));
            Assert.Throws<InvalidOperationException>(() => obj.Object.Variable("max_length").Set(5u), ".rodata is frozen once a program is bound");

            // Maps come typed by their class.
            Assert.That(type.GetProperty(".rodata"), Is.Null);
            Assert.That(type.GetProperty("_rodata")!.PropertyType, Is.EqualTo(typeof(ArrayMap)));
            Assert.That(obj.PrecompiledPrograms["filter_by_config"].Verified, Is.True);
            Assert.That(obj.PrecompiledPrograms["filter_by_config"].Checked, Is.False);
            // Binding trusted the verdict recorded at aot time: the loaded program was never verified again.
            Assert.That(obj.Object.Programs["filter_by_config"].Image.IsVerified, Is.False);
            Assert.That(run.Options.Safety, Is.EqualTo(ProgramSafety.Trusted));
        }
        finally
        {
            context.Unload();
        }
    }

    [Test]
    public void TailCallsBetweenPrecompiledProgramsRunOnThePrecompiledCode()
    {
        // dispatch tail-calls the object's other programs through its program array.
        var written = AotAssemblyWriter.WriteObject(Sample("tail_calls"), "tail_calls", new AotObjectOptions { WriteSymbols = false });
        var context = new AssemblyLoadContext("aot tail calls", isCollectible: true);
        try
        {
            var type = context.LoadFromStream(new MemoryStream(written.Assembly)).GetType(written.TypeName, throwOnError: true)!;
            using var obj = (PrecompiledObject)Activator.CreateInstance(type)!;
            using var reference = BpfObject.Load(RepositoryFiles.SampleObject("tail_calls"));
            var jit = reference.Programs["dispatch"].Prepare(JitEngine.Instance, new ExecutionOptions { Checked = false });
            var aot = obj.Program("dispatch");
            foreach (var packet in new[] { Packets.Ipv4To("10.0.0.1", protocol: 6), Packets.Ipv4To("10.0.0.1", protocol: 17), Packets.Ethernet(Packets.Arp, 42) })
                Assert.That(XdpContext.Run(aot, packet).Action, Is.EqualTo(XdpContext.Run(jit, packet).Action));
        }
        finally
        {
            context.Unload();
        }
    }

    [Test]
    public void AnUnknownProgramIsATypedError()
    {
        var error = Assert.Throws<AotException>(() => AotAssemblyWriter.WriteObject(Sample("config"), "config", new AotObjectOptions { Programs = ["nope"] }));
        Assert.That(error!.Message, Does.Contain("nope").And.Contain("filter_by_config"));
    }

    [Test]
    public void AnUnwritableOutputIsATypedError()
    {
        var written = AotAssemblyWriter.WriteObject(Sample("xdp_counter"), "xdp_counter");
        var error = Assert.Throws<AotException>(() => written.Save("/nonexistent-directory/x/out.dll"));
        Assert.That(error!.Message, Does.Contain("/nonexistent-directory/x/out.dll"));
    }

    [Test]
    public void AProgramTheVerifierRejectsIsWrittenOnlyWithRunTimeChecks()
    {
        var bytes = File.ReadAllBytes(RepositoryFiles.TestObject("verifier_cases"));
        using var obj = BpfObject.Load(bytes, "verifier_cases");
        var rejected = obj.ProgramList.First(p => !p.Verify().IsAccepted);
        Assert.Throws<VerificationException>(() => AotAssemblyWriter.WriteObject(bytes, "verifier_cases", new AotObjectOptions { Programs = [rejected.Name] }));

        var written = AotAssemblyWriter.WriteObject(bytes, "verifier_cases", new AotObjectOptions { Programs = [rejected.Name], Checked = true });
        var context = new AssemblyLoadContext("aot checked", isCollectible: true);
        try
        {
            var type = context.LoadFromStream(new MemoryStream(written.Assembly)).GetType(written.TypeName, throwOnError: true)!;
            using var precompiled = (PrecompiledObject)Activator.CreateInstance(type)!;
            var program = precompiled.PrecompiledPrograms[rejected.Name];
            Assert.That(program.Verified, Is.False);
            Assert.That(program.Checked, Is.True);
            Assert.That(precompiled.Program(rejected.Name).Options.Checked, Is.True);
        }
        finally
        {
            context.Unload();
        }
    }

    [Test]
    public void BindingRefusesAProgramTheCodeWasNotCompiledFrom()
    {
        var options = ExecutionOptions.Default;
        var compiled = (PrecompiledExecutable)AotEngine.Instance.Prepare(Assembler.Assemble("mov r0, 1\nexit"), options);
        var other = (ProgramImage)Assembler.Assemble("mov r0, 2\nexit");
        var error = Assert.Throws<AotBindingException>(() => compiled.Program.Bind(other, options, AotEngine.Instance));
        Assert.That(error!.Reason, Does.Contain("not the one the code was compiled from"));

        var mode = Assert.Throws<AotBindingException>(() => compiled.Program.Bind(compiled.Image, options with { Checked = false }, AotEngine.Instance));
        Assert.That(mode!.Reason, Does.Contain("checked mode"));
    }

    [Test]
    public void ADamagedManifestIsATypedError()
    {
        Assert.Throws<AotBindingException>(() => new PrecompiledProgram("something else", [], []));
        Assert.Throws<AotBindingException>(() => new PrecompiledProgram(PrecompiledProgram.ManifestHeader + "\nname p\naddress Nowhere 1 2\n", [], []));
    }

    [Test]
    public void HostHelpersAreBoundByNumberWhenTheProgramIsBound()
    {
        // The host's helper is a closure: the code must reach it through the binding table.
        ulong factor = 3;
        var helpers = HelperRegistry.CreateDefault().Register(1000, "host_scale", (r1, r2, r3, r4, r5, invocation) => r1 * factor);
        var options = new ExecutionOptions { Helpers = helpers };
        var run = AotEngine.Instance.Prepare(Assembler.Assemble("mov r1, 14\ncall 1000\nexit"), options);
        Assert.That(run.Run([]), Is.EqualTo(42UL));
        var binding = ((PrecompiledExecutable)run).Program.Calls;
        Assert.That(binding, Is.EqualTo(new[] { new CallBinding(IsKfunc: false, 1000) }));

        // A built-in is called directly; binding with options that replace it is refused.
        var lookup = AotEngine.Instance.Prepare(Assembler.Assemble("call 5\nexit"), options);
        Assert.That(((PrecompiledExecutable)lookup).Program.DirectCalls, Does.Contain(new CallBinding(false, 5)));
        var replaced = options with { Helpers = HelperRegistry.CreateDefault().Register(5, "other", (r1, r2, r3, r4, r5, invocation) => 7) };
        Assert.Throws<AotBindingException>(() => ((PrecompiledExecutable)lookup).Program.Bind(lookup.Image, replaced, AotEngine.Instance));
    }
}
