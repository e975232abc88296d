using Bpf.Cli.Conformance;
using Bpf.Isa;

namespace Bpf.Cli.Input;

/// <summary>A program read from a file, with the memory the file supplies (data files only).</summary>
/// <param name="Bytecode">The validated program.</param>
/// <param name="Format">What kind of file it came from.</param>
/// <param name="Data">The data file, when it came from one.</param>
internal sealed record LoadedProgram(Bytecode Bytecode, ProgramFormat Format, DataFile? Data = null)
{
    /// <summary>The memory the file supplies, or null.</summary>
    public byte[]? Memory => Data?.Memory;
}
