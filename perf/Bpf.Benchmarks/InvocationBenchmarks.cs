using System.Reflection.Emit;
using BenchmarkDotNet.Attributes;
using Bpf.Interpretation;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// The cost of one call of an empty program (<c>mov r0, 0; exit</c>) through the public entry
/// point, per engine and mode. The baseline is the floor of any compiled program: calling a
/// dynamic method of the compiled-function signature that returns 0, through its delegate.
/// </summary>
[MemoryDiagnoser]
public class InvocationBenchmarks
{
    private readonly byte[] _memory = new byte[64];
    private CompiledFunction _baseline = null!;
    private Invocation _invocation = null!;
    private BpfExecutable _jitChecked = null!;
    private BpfExecutable _jitUnchecked = null!;
    private BpfExecutable _interpreter = null!;

    /// <summary>Compiles the program once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var method = new DynamicMethod("baseline", typeof(ulong), [typeof(ulong), typeof(ulong), typeof(ulong), typeof(ulong), typeof(ulong), typeof(Invocation)]);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Conv_U8);
        il.Emit(OpCodes.Ret);
        _baseline = method.CreateDelegate<CompiledFunction>();
        _invocation = new Invocation(ExecutionOptions.Default);
        _jitChecked = JitEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default);
        _jitUnchecked = JitEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default with { Safety = ProgramSafety.Trusted });
        _interpreter = InterpreterEngine.Instance.Prepare(Programs.Empty, ExecutionOptions.Default);
    }

    /// <summary>A dynamic method that returns 0, called through its delegate.</summary>
    [Benchmark(Baseline = true)]
    public ulong DynamicMethodCall() => _baseline(1, 2, 0, 0, 0, _invocation);

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
