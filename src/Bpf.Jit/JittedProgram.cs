using Bpf.Isa;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;

namespace Bpf.Jit;

/// <summary>The signature of a compiled BPF function: r1-r5 in, r0 out.</summary>
public delegate ulong CompiledFunction(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);

/// <summary>A program compiled to dynamic methods.</summary>
public sealed class JittedProgram : BpfExecutable
{
    private readonly CompiledFunction _entry;
    private readonly object[]? _constants;
    private readonly Func<MethodPlan, CompiledFunction> _createFunction;
    private readonly CompiledFunction?[] _functions;

    internal JittedProgram(
        JitEngine engine,
        ProgramImage image,
        ExecutionOptions options,
        ProgramPlan plan,
        Func<MethodPlan, CompiledFunction> createFunction,
        object[] constants,
        IReadOnlyList<ILMetrics> metrics)
        : base(image, options)
    {
        Engine = engine;
        Plan = plan;
        _createFunction = createFunction;
        _functions = new CompiledFunction?[image.ExecutableCode.Functions.Count];
        _entry = _functions[0] = createFunction(plan.Entry);
        _constants = constants.Length == 0 ? null : constants;
        MethodMetrics = metrics;
    }

    /// <inheritdoc/>
    public override IBpfEngine Engine { get; }

    /// <summary>The methods the program was compiled to.</summary>
    public ProgramPlan Plan { get; }

    /// <summary>The IL figures of each generated method, by <see cref="MethodPlan.Id"/>.</summary>
    public IReadOnlyList<ILMetrics> MethodMetrics { get; }

    /// <summary>The compiled entry function, for callers that manage the invocation themselves.</summary>
    public CompiledFunction Entry => _entry;

    /// <inheritdoc/>
    public override ulong CallFunction(int functionIndex, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        // Delegates for callbacks are made on first use: making one compiles the method.
        var function = _functions[functionIndex] ??= _createFunction(Plan.EntryOf(Bytecode.Functions[functionIndex]));
        if (_constants is not null)
            invocation.Environment = _constants;
        return function(r1, r2, r3, r4, r5, invocation);
    }

    /// <inheritdoc/>
    protected override ulong Execute(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (_constants is not null)
            invocation.Environment = _constants;
        return _entry(r1, r2, r3, r4, r5, invocation);
    }
}
