using Bpf.Isa;

namespace Bpf.Tests.Cli;

/// <summary>The shipped samples do what the README says, and their prebuilt bytecode is up to date.</summary>
public class SampleTests
{
    private static string Samples => Path.Combine(RepositoryRoot(), "samples");

    [TestCase("checksum", "ipv4-header.hex", "000000000000b861")]
    [TestCase("sieve", "sieve-1000.hex", "00000000000000a8")]
    public void SampleProgramsPrintTheDocumentedResult(string name, string memory, string expected)
    {
        string asm = Path.Combine(Samples, "asm", name + ".asm");
        string bin = Path.Combine(Samples, "asm", name + ".bin");
        string mem = Path.Combine(Samples, "asm", memory);

        Assert.That(File.ReadAllBytes(bin), Is.EqualTo(Assembler.Assemble(File.ReadAllText(asm)).ToBytes()),
            $"{name}.bin is stale: rebuild it with 'bpfjit asm samples/asm/{name}.asm -o samples/asm/{name}.bin'");
        foreach (string file in new[] { asm, bin })
        {
            foreach (var engine in Bpf.Cli.Engines.All)
            {
                var run = ToolRun.Invoke("run", file, "--mem", mem, "--engine", engine.Name);
                Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
                Assert.That(run.Out.Trim(), Is.EqualTo(expected), $"{file} on {engine.Name}");
            }
        }
    }

    [Test]
    public void SampleDataFilesPass()
    {
        var run = ToolRun.Invoke("conformance", Path.Combine(Samples, "conformance"), "--engine", "all");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Jit.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the tests do not run inside the repository");
    }
}
