using System.Reflection;
using Bpf.Helpers;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;
using Mono.Cecil.Cil;
using Sre = System.Reflection.Emit;

namespace Bpf.Aot.Emit;

/// <summary>
/// Writes the lowering's IL into a Mono.Cecil method of an assembly that will run in another
/// process (or another load context). Everything but run-time addresses and bound helpers is
/// written as the lowering gives it; those are looked up by slot in the program's
/// <see cref="AotBindingTable"/>, reached through the invocation.
/// </summary>
public readonly struct CecilEmitter : IILEmitter
{
    private static readonly Instruction s_unresolved = Instruction.Create(OpCodes.Nop);

    private readonly CecilBackEnd _backEnd;
    private readonly CecilMethodBody _body;

    internal CecilEmitter(CecilBackEnd backEnd, CecilMethodBody body)
    {
        _backEnd = backEnd;
        _body = body;
    }

    /// <inheritdoc/>
    public ILLocal DeclareLocal(Type type)
    {
        var variables = _body.Method.Body.Variables;
        variables.Add(new VariableDefinition(_backEnd.Import(type)));
        return new ILLocal(variables.Count - 1, type);
    }

    /// <inheritdoc/>
    public ILLabel DefineLabel() => new(_body.DefineLabel());

    /// <inheritdoc/>
    public void MarkLabel(ILLabel label) => _body.MarkLabel(label.Id);

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode) => _body.Append(Instruction.Create(CecilOpCodes.Of(opcode)));

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, int operand)
    {
        var cil = CecilOpCodes.Of(opcode);
        _body.Append(opcode.OperandType switch
        {
            Sre.OperandType.ShortInlineVar or Sre.OperandType.InlineVar => Instruction.Create(cil, _body.Method.Parameters[operand]),
            Sre.OperandType.ShortInlineI when opcode == Sre.OpCodes.Unaligned => Instruction.Create(cil, (byte)operand),
            Sre.OperandType.ShortInlineI => Instruction.Create(cil, (sbyte)operand),
            _ => Instruction.Create(cil, operand),
        });
    }

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, long operand) => _body.Append(Instruction.Create(CecilOpCodes.Of(opcode), operand));

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, ILLabel target) =>
        _body.AppendBranch(Instruction.Create(CecilOpCodes.Of(opcode), s_unresolved), target.Id);

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, ILLabel[] targets) =>
        _body.AppendSwitch(Instruction.Create(CecilOpCodes.Of(opcode), [s_unresolved]), targets.Select(t => t.Id).ToArray());

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, ILLocal local)
    {
        var cil = CecilOpCodes.Of(opcode);
        _body.Append(opcode.OperandType == Sre.OperandType.InlineNone
            ? Instruction.Create(cil)
            : Instruction.Create(cil, _body.Method.Body.Variables[local.Index]));
    }

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, MethodInfo method) => _body.Append(Instruction.Create(CecilOpCodes.Of(opcode), _backEnd.Import(method)));

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, FieldInfo field) => _body.Append(Instruction.Create(CecilOpCodes.Of(opcode), _backEnd.Import(field)));

    /// <inheritdoc/>
    public void Emit(Sre.OpCode opcode, Type type) => _body.Append(Instruction.Create(CecilOpCodes.Of(opcode), _backEnd.Import(type)));

    /// <inheritdoc/>
    public void EmitCall(MethodPlan target) => _body.Append(Instruction.Create(OpCodes.Call, _backEnd.MethodOf(target)));

    /// <inheritdoc/>
    public void EmitLoadConstant(object value, Type type, int invocationArgument)
    {
        // The only objects the lowering loads are the implementations of calls it cannot make
        // directly; the back end knows which helper number or kfunc each stands for.
        int slot = _backEnd.CallSlotOf(value);
        LoadFromTable(_backEnd.TableCall, slot, invocationArgument);
        if (type != typeof(BpfHelperFunction))
            _body.Append(Instruction.Create(OpCodes.Castclass, _backEnd.Import(type)));
    }

    /// <inheritdoc/>
    public void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument) =>
        LoadFromTable(_backEnd.TableAddress, _backEnd.AddressSlotOf(what), invocationArgument);

    /// <inheritdoc/>
    public void MarkInstruction(int pc) => _body.MarkInstruction(pc);

    private void LoadFromTable(Mono.Cecil.MethodReference accessor, int slot, int invocationArgument)
    {
        _body.Append(invocationArgument switch
        {
            0 => Instruction.Create(OpCodes.Ldarg_0),
            1 => Instruction.Create(OpCodes.Ldarg_1),
            2 => Instruction.Create(OpCodes.Ldarg_2),
            3 => Instruction.Create(OpCodes.Ldarg_3),
            _ => Instruction.Create(OpCodes.Ldarg_S, _body.Method.Parameters[invocationArgument]),
        });
        _body.Append(slot <= sbyte.MaxValue ? Instruction.Create(OpCodes.Ldc_I4_S, (sbyte)slot) : Instruction.Create(OpCodes.Ldc_I4, slot));
        _body.Append(Instruction.Create(OpCodes.Call, accessor));
    }
}
