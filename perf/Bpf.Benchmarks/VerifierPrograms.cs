using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Benchmarks;

/// <summary>The object files whose programs the verifier is measured on: the samples, the test objects and the large test program.</summary>
internal static class VerifierPrograms
{
    /// <summary>The largest test program's object (<c>tests/Bpf.Tests/Elf/Objects/verifier_large.c</c>).</summary>
    public static string LargeObject => Path.Combine(Root, "tests", "Bpf.Tests", "Elf", "Objects", "verifier_large.o");

    /// <summary>The repository's root (the folder holding Jit.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Every object file: samples/bpf/*.o, then tests/Bpf.Tests/Elf/Objects/*.o.</summary>
    public static IReadOnlyList<string> Objects()
    {
        string samples = Path.Combine(Root, "samples", "bpf");
        string tests = Path.Combine(Root, "tests", "Bpf.Tests", "Elf", "Objects");
        return [.. Directory.GetFiles(samples, "*.o").Order(StringComparer.Ordinal), .. Directory.GetFiles(tests, "*.o").Order(StringComparer.Ordinal)];
    }

    /// <summary>Verifies <paramref name="program"/> as the loader would before compiling it.</summary>
    public static VerificationResult Verify(BpfProgram program) =>
        ProgramVerifier.Verify(program.Code, VerifierOptions.For(program.Image, program.LineOf));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Jit.sln")))
                return dir.FullName;
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Jit.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("run the benchmarks inside the repository (no Jit.sln above the current folder)");
    }
}
