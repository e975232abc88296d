using System.Reflection;
using System.Reflection.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;
using Bpf.Runtime;

namespace Bpf.Jit.Emit;

/// <summary>Writes IL into a <see cref="DynamicMethod"/>'s <see cref="ILGenerator"/>.</summary>
public readonly struct DynamicMethodEmitter : IILEmitter
{
    private readonly ILGenerator _il;
    private readonly List<Label> _labels;
    private readonly List<LocalBuilder> _locals;
    private readonly DynamicMethodBackEnd _backEnd;

    internal DynamicMethodEmitter(ILGenerator il, DynamicMethodBackEnd backEnd)
    {
        _il = il;
        _backEnd = backEnd;
        _labels = [];
        _locals = [];
    }

    /// <inheritdoc/>
    public ILLocal DeclareLocal(Type type)
    {
        var local = _il.DeclareLocal(type);
        _locals.Add(local);
        return new ILLocal(local.LocalIndex, type);
    }

    /// <inheritdoc/>
    public ILLabel DefineLabel()
    {
        _labels.Add(_il.DefineLabel());
        return new ILLabel(_labels.Count - 1);
    }

    /// <inheritdoc/>
    public void MarkLabel(ILLabel label) => _il.MarkLabel(_labels[label.Id]);

    /// <inheritdoc/>
    public void Emit(OpCode opcode) => _il.Emit(opcode);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, int operand)
    {
        switch (opcode.OperandType)
        {
            case OperandType.ShortInlineI when opcode == OpCodes.Unaligned:
            case OperandType.ShortInlineVar:
                _il.Emit(opcode, (byte)operand);
                break;
            case OperandType.ShortInlineI:
                _il.Emit(opcode, (sbyte)operand);
                break;
            case OperandType.InlineVar:
                _il.Emit(opcode, (short)operand);
                break;
            default:
                _il.Emit(opcode, operand);
                break;
        }
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, long operand) => _il.Emit(opcode, operand);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel target) => _il.Emit(opcode, _labels[target.Id]);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel[] targets)
    {
        var labels = _labels;
        _il.Emit(opcode, targets.Select(t => labels[t.Id]).ToArray());
    }

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLocal local) => _il.Emit(opcode, _locals[local.Index]);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, MethodInfo method) => _il.Emit(opcode, method);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, FieldInfo field) => _il.Emit(opcode, field);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, Type type) => _il.Emit(opcode, type);

    /// <inheritdoc/>
    public void EmitCall(MethodPlan target) => _il.Emit(OpCodes.Call, _backEnd.MethodOf(target));

    /// <inheritdoc/>
    public void EmitLoadConstant(object value, Type type, int invocationArgument)
    {
        // A DynamicMethod cannot embed an object, so the program's constants travel in the
        // invocation's Environment, set on entry by the compiled program.
        int index = _backEnd.AddConstant(value);
        _il.Emit(OpCodes.Ldarg_S, (byte)invocationArgument);
        _il.Emit(OpCodes.Callvirt, typeof(Invocation).GetProperty(nameof(Invocation.Environment))!.GetMethod!);
        _il.Emit(OpCodes.Castclass, typeof(object[]));
        _il.Emit(OpCodes.Ldc_I4, index);
        _il.Emit(OpCodes.Ldelem_Ref);
        _il.Emit(OpCodes.Castclass, type);
    }

    /// <inheritdoc/>
    public void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument) => _il.Emit(OpCodes.Ldc_I8, (long)value);

    /// <inheritdoc/>
    public void MarkInstruction(int pc)
    {
    }
}
