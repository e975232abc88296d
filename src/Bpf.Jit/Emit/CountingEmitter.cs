using System.Reflection;
using System.Reflection.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;

namespace Bpf.Jit.Emit;

/// <summary>
/// Counts what goes through it into <see cref="Metrics"/> and passes it on to another back end.
/// With <see cref="NullEmitter"/> inside it measures a method without producing one; the
/// lowering wraps every real back end in it too, so each emitted method's figures are known.
/// </summary>
/// <typeparam name="TInner">The back end that receives the IL.</typeparam>
public readonly struct CountingEmitter<TInner> : IILEmitter
    where TInner : struct, IILEmitter
{
    private readonly TInner _inner;

    /// <summary>Wraps <paramref name="inner"/>, counting into a fresh <see cref="ILMetrics"/>.</summary>
    public CountingEmitter(TInner inner)
    {
        _inner = inner;
        Metrics = new ILMetrics();
    }

    /// <summary>The figures so far.</summary>
    public ILMetrics Metrics { get; }

    /// <inheritdoc/>
    public ILLocal DeclareLocal(Type type)
    {
        Metrics.Locals++;
        return _inner.DeclareLocal(type);
    }

    /// <inheritdoc/>
    public ILLabel DefineLabel() => _inner.DefineLabel();

    /// <inheritdoc/>
    public void MarkLabel(ILLabel label)
    {
        Metrics.BasicBlocks++;
        _inner.MarkLabel(label);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, int operand)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, operand);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, long operand)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, operand);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel target)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, target);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel[] targets)
    {
        Metrics.Count(opcode, targets.Length);
        _inner.Emit(opcode, targets);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLocal local)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, local);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, MethodInfo method)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, method);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, FieldInfo field)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, field);
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, Type type)
    {
        Metrics.Count(opcode);
        _inner.Emit(opcode, type);
    }

    /// <inheritdoc/>
    public void EmitCall(MethodPlan target)
    {
        Metrics.Count(OpCodes.Call);
        _inner.EmitCall(target);
    }

    /// <inheritdoc/>
    public void EmitLoadConstant(object value, Type type, int invocationArgument)
    {
        // Counted at what the most expensive back end needs: load the holder, index it, cast.
        Metrics.Count(OpCodes.Ldarg_S);
        Metrics.Count(OpCodes.Callvirt);
        Metrics.Count(OpCodes.Castclass);
        Metrics.Count(OpCodes.Ldc_I4);
        Metrics.Count(OpCodes.Ldelem_Ref);
        Metrics.Count(OpCodes.Castclass);
        _inner.EmitLoadConstant(value, type, invocationArgument);
    }

    /// <inheritdoc/>
    public void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument)
    {
        // Counted as the immediate the in-process back end embeds, so that the JIT's figures (and
        // where the planner splits) do not depend on which back end is being written.
        Metrics.Count(OpCodes.Ldc_I8);
        _inner.EmitLoadBoundAddress(what, value, invocationArgument);
    }

    /// <inheritdoc/>
    public void MarkInstruction(int pc) => _inner.MarkInstruction(pc);
}
