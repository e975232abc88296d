using Bpf.Elf;
using Bpf.Runtime;

namespace Bpf.Cli.Input;

/// <summary>Object files (ELF) as the tool loads them.</summary>
internal static class ObjectFiles
{
    /// <summary>True when <paramref name="path"/> is an ELF file.</summary>
    public static bool IsObject(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && ElfFile.HasElfMagic(magic);
    }

    /// <summary>Loads an object file; errors name the file.</summary>
    public static BpfObject Load(string path)
    {
        try
        {
            return BpfObject.Load(path);
        }
        catch (BpfLoadException e)
        {
            throw new InputException($"{path}: {e.Message}", e);
        }
    }
}
