namespace Bpf.Cli.Input;

/// <summary>The kinds of file the tool reads programs from.</summary>
internal enum ProgramFormat
{
    /// <summary>Little-endian instruction bytes, 8 per slot.</summary>
    Bytecode,
    /// <summary>Assembly text in the conformance suite's syntax.</summary>
    Assembly,
    /// <summary>A conformance suite <c>.data</c> file (program, memory, expectation).</summary>
    DataFile,
    /// <summary>An ELF64 BPF object; the program is its <c>.text</c> section.</summary>
    Elf,
}
