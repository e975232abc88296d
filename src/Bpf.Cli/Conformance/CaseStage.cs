namespace Bpf.Cli.Conformance;

/// <summary>The stage of the pipeline that decided a case's outcome.</summary>
internal enum CaseStage
{
    /// <summary>Reading the data file (malformed file, no program, asm and raw disagree).</summary>
    DataFile,
    /// <summary>The text assembler.</summary>
    Assembler,
    /// <summary>Decoding and validating the bytecode.</summary>
    Decoder,
    /// <summary>The engine preparing (binding helpers, compiling) the program.</summary>
    Preparation,
    /// <summary>Running the program.</summary>
    Run,
}
