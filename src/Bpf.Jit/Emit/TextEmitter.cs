using System.Globalization;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;

namespace Bpf.Jit.Emit;

/// <summary>Writes IL as text, one instruction per line with its offset (for <c>bpfjit disasm --il</c> and golden tests).</summary>
public readonly struct TextEmitter : IILEmitter
{
    private readonly StringBuilder _text;
    private readonly List<Type> _locals;
    private readonly int[] _state; // [0] = next label, [1] = IL offset

    internal TextEmitter(StringBuilder text, List<Type> locals)
    {
        _text = text;
        _locals = locals;
        _state = new int[2];
    }

    /// <inheritdoc/>
    public ILLocal DeclareLocal(Type type)
    {
        _locals.Add(type);
        return new ILLocal(_locals.Count - 1, type);
    }

    /// <inheritdoc/>
    public ILLabel DefineLabel() => new(_state[0]++);

    /// <inheritdoc/>
    public void MarkLabel(ILLabel label) => _text.Append("  L").Append(label.Id).AppendLine(":");

    /// <inheritdoc/>
    public void Emit(OpCode opcode) => Line(opcode, null);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, int operand) => Line(opcode, operand.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc/>
    public void Emit(OpCode opcode, long operand) => Line(opcode, operand.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel target) => Line(opcode, "L" + target.Id);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLabel[] targets) =>
        Line(opcode, "(" + string.Join(", ", targets.Select(t => "L" + t.Id)) + ")", targets.Length);

    /// <inheritdoc/>
    public void Emit(OpCode opcode, ILLocal local) =>
        Line(opcode, opcode.OperandType == OperandType.InlineNone ? null : "V_" + local.Index.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc/>
    public void Emit(OpCode opcode, MethodInfo method) =>
        Line(opcode, $"{TypeName(method.ReturnType)} {TypeName(method.DeclaringType!)}::{method.Name}({string.Join(", ", method.GetParameters().Select(p => TypeName(p.ParameterType)))})");

    /// <inheritdoc/>
    public void Emit(OpCode opcode, FieldInfo field) => Line(opcode, $"{TypeName(field.FieldType)} {TypeName(field.DeclaringType!)}::{field.Name}");

    /// <inheritdoc/>
    public void Emit(OpCode opcode, Type type) => Line(opcode, TypeName(type));

    /// <inheritdoc/>
    public void EmitCall(MethodPlan target) => Line(OpCodes.Call, target.Name);

    /// <inheritdoc/>
    public void EmitLoadConstant(object value, Type type, int invocationArgument) =>
        Line(OpCodes.Ldnull, $"// constant {TypeName(type)}: {value}", countBytes: false);

    private void Line(OpCode opcode, string? operand, int switchTargets = 0, bool countBytes = true)
    {
        _text.Append("    IL_").Append(_state[1].ToString("x4", CultureInfo.InvariantCulture)).Append(": ").Append(opcode.Name);
        if (operand is not null)
            _text.Append(' ').Append(operand);
        _text.AppendLine();
        if (countBytes)
        {
            var one = new ILMetrics();
            one.Count(opcode, switchTargets);
            _state[1] += one.CodeSize;
        }
    }

    internal static string TypeName(Type type) => type switch
    {
        _ when type == typeof(ulong) => "uint64",
        _ when type == typeof(long) => "int64",
        _ when type == typeof(int) => "int32",
        _ when type == typeof(uint) => "uint32",
        _ when type == typeof(ushort) => "uint16",
        _ when type == typeof(byte) => "uint8",
        _ when type == typeof(nint) => "native int",
        _ when type == typeof(void) => "void",
        _ when type == typeof(object) => "object",
        _ when type.IsByRef => TypeName(type.GetElementType()!) + "&",
        _ => type.Name,
    };

    /// <inheritdoc/>
    public void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument) => Emit(OpCodes.Ldc_I8, (long)value);

    /// <inheritdoc/>
    public void MarkInstruction(int pc)
    {
    }
}
