namespace Bpf.Tests;

/// <summary>Files of the repository the tests read: samples and test objects.</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository's root (the folder holding Jit.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The folder of the C samples and their prebuilt objects.</summary>
    public static string BpfSamples => Path.Combine(Root, "samples", "bpf");

    /// <summary>A sample object file by name (without extension).</summary>
    public static string SampleObject(string name) => Path.Combine(BpfSamples, name + ".o");

    /// <summary>The folder of the test objects (C sources compiled by clang-14, committed with their objects).</summary>
    public static string TestObjects => Path.Combine(Root, "tests", "Bpf.Tests", "Elf", "Objects");

    /// <summary>A test object file by name (without extension).</summary>
    public static string TestObject(string name) => Path.Combine(TestObjects, name + ".o");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Jit.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the tests do not run inside the repository");
    }
}
