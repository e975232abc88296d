namespace Bpf.Aot;

/// <summary>How <see cref="AotAssemblyWriter"/> writes an object's class.</summary>
public sealed record AotObjectOptions
{
    /// <summary>The namespace of the class.</summary>
    public string Namespace { get; init; } = "Bpf.Generated";

    /// <summary>The class's name; null for the object's name in PascalCase.</summary>
    public string? ClassName { get; init; }

    /// <summary>The assembly's name; null for the class's.</summary>
    public string? AssemblyName { get; init; }

    /// <summary>
    /// Compile with checked mode's run-time checks, which lets programs the verifier rejects be
    /// written (their manifests record the rejection). Off, every program must pass the verifier
    /// and runs without checks.
    /// </summary>
    public bool Checked { get; init; }

    /// <summary>The programs to write, by name; null for all of them.</summary>
    public IReadOnlyList<string>? Programs { get; init; }

    /// <summary>Write a portable PDB mapping the IL to the C source lines (and to the instructions where there are none).</summary>
    public bool WriteSymbols { get; init; } = true;
}
