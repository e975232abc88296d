namespace Bpf.Runtime.Aot;

/// <summary>A program compiled ahead of time (a static method per function of an emitted assembly), bound to its maps and helpers.</summary>
public sealed class PrecompiledExecutable : BpfExecutable
{
    private readonly PrecompiledFunction[] _functions;
    private readonly AotBindingTable _table;

    internal PrecompiledExecutable(IBpfEngine engine, ProgramImage image, ExecutionOptions options, PrecompiledProgram program, AotBindingTable table)
        : base(image, options)
    {
        Engine = engine;
        Program = program;
        _functions = program.Functions;
        _table = table;
    }

    /// <inheritdoc/>
    public override IBpfEngine Engine { get; }

    /// <summary>The precompiled code and what it was compiled for.</summary>
    public PrecompiledProgram Program { get; }

    /// <summary>What the code's bound addresses and calls are for this program.</summary>
    public AotBindingTable Bindings => _table;

    /// <inheritdoc/>
    public override ulong CallFunction(int functionIndex, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        invocation.Environment = _table;
        return _functions[functionIndex](r1, r2, r3, r4, r5, invocation);
    }

    /// <inheritdoc/>
    protected override ulong Execute(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        invocation.Environment = _table;
        return _functions[0](r1, r2, r3, r4, r5, invocation);
    }
}
