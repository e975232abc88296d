using System.Text;
using Bpf.Cli.Conformance;
using Bpf.Elf;
using Bpf.Isa;

namespace Bpf.Cli.Input;

/// <summary>
/// Reads a program from a file of any format the tool accepts. The format comes from the
/// extension when it is telling (<c>.data</c>; <c>.asm</c>, <c>.s</c>; <c>.bin</c>; <c>.o</c>)
/// and otherwise from the content: the ELF magic number means an object, a NUL byte or text
/// that is not UTF-8 means bytecode (every real program has zero bytes), anything else is assembly.
/// </summary>
internal static class ProgramLoader
{
    /// <summary>Reads and validates the program in <paramref name="path"/>.</summary>
    /// <exception cref="BpfException">The file is malformed or its program is invalid.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LoadedProgram Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var format = Detect(path, bytes);
        try
        {
            return format switch
            {
                ProgramFormat.DataFile => FromDataFile(DataFileParser.Parse(Decode(bytes, path), path)),
                ProgramFormat.Elf => new LoadedProgram(ElfProgram.Load(bytes), format),
                ProgramFormat.Assembly => new LoadedProgram(Bytecode.Create(TextAssembly.AssembleInstructions(Decode(bytes, path))), format),
                _ => new LoadedProgram(Bytecode.Decode(bytes), format),
            };
        }
        catch (BpfException e) when (e is not DataFileException and not InputException and not ToolUnavailableException)
        {
            throw new InputException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The program and memory of a parsed data file.</summary>
    public static LoadedProgram FromDataFile(DataFile file)
    {
        try
        {
            return new LoadedProgram(Bytecode.Create(DataFileProgram.Instructions(file)), ProgramFormat.DataFile, file);
        }
        catch (BpfException e) when (TextAssembly.IsAssemblerError(e))
        {
            throw new InputException(DataFileProgram.Locate(e, file), e);
        }
    }

    /// <summary>The format of a file from its name and content.</summary>
    public static ProgramFormat Detect(string path, ReadOnlySpan<byte> bytes)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".data":
                return ProgramFormat.DataFile;
            case ".asm" or ".s":
                return ProgramFormat.Assembly;
        }

        if (ElfFile.HasElfMagic(bytes) || extension == ".o")
            return ProgramFormat.Elf;
        if (extension == ".bin" || bytes.Contains((byte)0) || !IsUtf8(bytes))
            return ProgramFormat.Bytecode;
        return ProgramFormat.Assembly;
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static string Decode(byte[] bytes, string path)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InputException($"{path}: the file is not UTF-8 text");
        }
    }
}
