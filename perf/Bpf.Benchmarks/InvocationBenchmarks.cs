using BenchmarkDotNet.Attributes;
using Bpf.Interpretation;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// The cost of one call of an empty program (<c>mov r0, 0; exit</c>) through the public entry
/// point, per engine and mode, against a plain delegate call as the baseline.
/// </summary>
[MemoryDiagnoser]
public class InvocationBenchmarks
{
    private readonly Func<ulong, ulong, ulong> _baseline = static (a, b) => 0;
    private readonly byte[] _memory = new byte[64];
    private BpfExecutable _jitChecked = null!;
    private BpfExecutable _jitUnchecked = null!;
    private BpfExecutable _interpreter = null!;

    /// <summary>Compiles the program once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _jitChecked = JitEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default);
        _jitUnchecked = JitEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default with { Checked = false });
        _interpreter = InterpreterEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default);
    }

    /// <summary>A delegate call that returns 0: what any call from the host costs.</summary>
    [Benchmark(Baseline = true)]
    public ulong Delegate() => _baseline(1, 2);

    /// <summary>The JIT, checked mode.</summary>
    [Benchmark]
    public ulong JitChecked() => _jitChecked.Run(_memory);

    /// <summary>The JIT, unchecked (trusted or verified) mode.</summary>
    [Benchmark]
    public ulong JitUnchecked() => _jitUnchecked.Run(_memory);

    /// <summary>The reference interpreter, checked mode.</summary>
    [Benchmark]
    public ulong Interpreter() => _interpreter.Run(_memory);
}
