using BenchmarkDotNet.Attributes;
using Bpf.Interpretation;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// A byte-summing loop over 1,500 bytes (a packet), per engine and mode, against the same loop in
/// C# as the baseline: how close compiled BPF gets to native code.
/// </summary>
public class LoopBenchmarks
{
    private readonly byte[] _packet = new byte[1500];
    private BpfExecutable _jitChecked = null!;
    private BpfExecutable _jitUnchecked = null!;
    private BpfExecutable _interpreter = null!;

    /// <summary>Fills the packet and compiles the program.</summary>
    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_packet);
        _jitChecked = JitEngine.Instance.Prepare(Programs.ByteSum, ExecutionOptions.Default);
        _jitUnchecked = JitEngine.Instance.Prepare(Programs.ByteSum, ExecutionOptions.Default with { Safety = ProgramSafety.Trusted });
        _interpreter = InterpreterEngine.Instance.Prepare(Programs.ByteSum, ExecutionOptions.Default);
    }

    /// <summary>The loop written in C#.</summary>
    [Benchmark(Baseline = true)]
    public ulong CSharp()
    {
        ulong sum = 0;
        foreach (byte b in _packet)
            sum += b;
        return sum;
    }

    /// <summary>The JIT, checked mode (a bounds check per load, a budget charge per iteration).</summary>
    [Benchmark]
    public ulong JitChecked() => _jitChecked.Run(_packet);

    /// <summary>The JIT, unchecked mode.</summary>
    [Benchmark]
    public ulong JitUnchecked() => _jitUnchecked.Run(_packet);

    /// <summary>The reference interpreter.</summary>
    [Benchmark]
    public ulong Interpreter() => _interpreter.Run(_packet);
}
