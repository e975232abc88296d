using Bpf.Elf;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Elf;

/// <summary>The shipped C samples load: programs, maps, global data, BTF and line info as the C source says.</summary>
public class SampleObjectTests
{
    [TestCase("xdp_counter")]
    [TestCase("config")]
    [TestCase("loops")]
    [TestCase("tail_calls")]
    [TestCase("arena")]
    [TestCase("lpm_router")]
    [TestCase("ringbuf_events")]
    public void Dump(string name)
    {
        var file = BpfObjectFile.Read(File.ReadAllBytes(RepositoryFiles.SampleObject(name)), name, _ => true);
        foreach (var m in file.Maps) TestContext.Out.WriteLine($"{m} init={m.Initializers.Count} vars={string.Join(",", m.Variables)}");
        TestContext.Out.WriteLine("kfuncs: " + string.Join(",", file.Kfuncs));
        foreach (var p in file.Programs)
        {
            TestContext.Out.WriteLine($"--- {p} lines={p.Lines.Count}");
            TestContext.Out.WriteLine(Disassembler.Disassemble(Bytecode.Create(p.Instructions, p.FunctionNames)));
        }
    }
}
