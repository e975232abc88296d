using System.Reflection;
using System.Reflection.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;

namespace Bpf.Jit.Emit;

/// <summary>A back end that writes nothing: with <see cref="CountingEmitter{TInner}"/> it measures a method.</summary>
public readonly struct NullEmitter : IILEmitter
{
    private readonly int[] _counters;

    /// <summary>Creates the emitter.</summary>
    public NullEmitter()
    {
        _counters = new int[2];
    }

    /// <inheritdoc/>
    public ILLocal DeclareLocal(Type type) => new(_counters[0]++, type);

    /// <inheritdoc/>
    public ILLabel DefineLabel() => new(_counters[1]++);

    /// <inheritdoc/>
    public void MarkLabel(ILLabel label)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, int operand)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, long operand)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel target)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel[] targets)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLocal local)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, MethodInfo method)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, FieldInfo field)
    {
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, Type type)
    {
    }

    /// <inheritdoc/>
    public void EmitCall(MethodPlan target)
    {
    }

    /// <inheritdoc/>
    public void EmitLoadConstant(object value, Type type, int invocationArgument)
    {
    }

    /// <inheritdoc/>
    public void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument)
    {
    }

    /// <inheritdoc/>
    public void MarkInstruction(int pc)
    {
    }
}
