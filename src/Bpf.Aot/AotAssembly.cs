namespace Bpf.Aot;

/// <summary>An assembly <see cref="AotAssemblyWriter"/> wrote, in memory.</summary>
/// <param name="Assembly">The assembly's bytes.</param>
/// <param name="Symbols">Its portable PDB, or null when none was asked for.</param>
/// <param name="Listing">
/// The disassembly the PDB maps instructions without source lines to (one line per instruction,
/// under a header per program), to be saved as <see cref="ListingName"/> beside the assembly.
/// </param>
/// <param name="ListingName">The listing's file name, as the PDB names the document.</param>
/// <param name="TypeName">The full name of the object's class.</param>
public sealed record AotAssembly(byte[] Assembly, byte[]? Symbols, string Listing, string ListingName, string TypeName)
{
    /// <summary>
    /// Saves the assembly as <paramref name="path"/>, its PDB beside it (same name, <c>.pdb</c>) and
    /// the listing beside them.
    /// </summary>
    /// <returns>The files written.</returns>
    /// <exception cref="AotException">A file cannot be written (no such directory, no permission...).</exception>
    public IReadOnlyList<string> Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var files = new List<string>();
        try
        {
            File.WriteAllBytes(path, Assembly);
            files.Add(path);
            if (Symbols is not null)
            {
                string pdb = Path.ChangeExtension(path, ".pdb");
                File.WriteAllBytes(pdb, Symbols);
                files.Add(pdb);
                string listing = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ListingName);
                File.WriteAllText(listing, Listing);
                files.Add(listing);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new AotException($"cannot write {path}: {e.Message}", e);
        }

        return files;
    }
}
