using System.Reflection;
using System.Reflection.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime.Aot;

namespace Bpf.Jit.Emit;

/// <summary>
/// The narrow interface between the one lowering and its back ends (DynamicMethod, saved
/// assemblies, text, counting). Back ends are <c>readonly struct</c>s used through generics, so
/// the calls cost nothing. The lowering chooses every opcode, including short forms; a back end
/// only writes them down, except for the two things that depend on where the code will live:
/// calls to the program's other generated methods and object constants.
/// </summary>
public interface IILEmitter
{
    /// <summary>Declares a local; locals must be declared in the same order in every back end.</summary>
    ILLocal DeclareLocal(Type type);

    /// <summary>Defines a label to be marked later.</summary>
    ILLabel DefineLabel();

    /// <summary>Marks the position of <paramref name="label"/>.</summary>
    void MarkLabel(ILLabel label);

    /// <summary>Emits an opcode without operand.</summary>
    void Emit(OpCode opcode);

    /// <summary>Emits an opcode with an integer operand: <c>ldc.i4</c>, <c>ldc.i4.s</c>, <c>ldarg(.s)</c>, <c>unaligned.</c>.</summary>
    void Emit(OpCode opcode, int operand);

    /// <summary>Emits <c>ldc.i8</c>.</summary>
    void Emit(OpCode opcode, long operand);

    /// <summary>Emits a branch.</summary>
    void Emit(OpCode opcode, ILLabel target);

    /// <summary>Emits <c>switch</c>.</summary>
    void Emit(OpCode opcode, ILLabel[] targets);

    /// <summary>Emits a local access (<c>ldloc</c>, <c>stloc</c>, <c>ldloca</c> and their short forms).</summary>
    void Emit(OpCode opcode, ILLocal local);

    /// <summary>Emits a call to an existing method (runtime support, helpers, framework intrinsics).</summary>
    void Emit(OpCode opcode, MethodInfo method);

    /// <summary>Emits a field access.</summary>
    void Emit(OpCode opcode, FieldInfo field);

    /// <summary>Emits a type-token instruction (<c>initobj</c>, <c>castclass</c>).</summary>
    void Emit(OpCode opcode, Type type);

    /// <summary>Emits a call to another generated method of the same program.</summary>
    void EmitCall(MethodPlan target);

    /// <summary>
    /// Pushes an object the code needs at run time (a host helper's delegate, say) typed as
    /// <paramref name="type"/>. The back end decides how: a constant table reached through the
    /// invocation for DynamicMethods, a field of a bound object for saved assemblies.
    /// </summary>
    /// <param name="value">The object.</param>
    /// <param name="type">The type the code uses it as.</param>
    /// <param name="invocationArgument">The index of the method's <see cref="Bpf.Runtime.Invocation"/> parameter.</param>
    void EmitLoadConstant(object value, Type type, int invocationArgument);

    /// <summary>
    /// Pushes a run-time address (a map's handle, the address of a map's value, an array map's
    /// values, the arena's upper half) as an <c>int64</c>. In-process back ends embed
    /// <paramref name="value"/> as an immediate; a back end that writes code to run elsewhere loads
    /// what <paramref name="what"/> describes from a table bound when the program is instantiated.
    /// </summary>
    /// <param name="what">What the address is.</param>
    /// <param name="value">Its value in this process.</param>
    /// <param name="invocationArgument">The index of the method's <see cref="Bpf.Runtime.Invocation"/> parameter.</param>
    void EmitLoadBoundAddress(BoundAddress what, ulong value, int invocationArgument);

    /// <summary>
    /// Says that the code of BPF instruction <paramref name="pc"/> starts here: back ends that
    /// write debugging information map the IL from here on to the instruction (and its source
    /// line); the others ignore it.
    /// </summary>
    void MarkInstruction(int pc);
}
