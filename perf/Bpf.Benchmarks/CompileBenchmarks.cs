using BenchmarkDotNet.Attributes;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// How long the JIT takes to make a program runnable: planning, IL emission and RyuJIT's compile
/// of every generated method (forced by the first run, which executes every instruction of these
/// straight-line programs once). The baseline is validating the same bytecode.
/// </summary>
public class CompileBenchmarks
{
    private Bytecode _program = null!;
    private byte[] _bytes = null!;

    /// <summary>Program length in instructions.</summary>
    [Params(1_000, 10_000)]
    public int Instructions { get; set; }

    /// <summary>Builds the program.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _program = Programs.Arithmetic(Instructions);
        _bytes = _program.ToBytes();
    }

    /// <summary>Decoding and validating the bytecode.</summary>
    [Benchmark(Baseline = true)]
    public Bytecode Validate() => Bytecode.Decode(_bytes);

    /// <summary>Compiling to IL and running once, so RyuJIT compiles every method.</summary>
    [Benchmark]
    public ulong CompileAndFirstRun() => JitCompiler.Compile(_program, ExecutionOptions.Default with { Safety = ProgramSafety.Trusted }).Run(Span<byte>.Empty);

    /// <summary>Only planning and emitting the IL (no machine code).</summary>
    [Benchmark]
    public object EmitOnly() => JitCompiler.Compile(_program, ExecutionOptions.Default with { Safety = ProgramSafety.Trusted });
}
