using Bpf.Runtime;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Jit.Lowering;

/// <summary>
/// The calling convention of generated methods, which every back end follows.
/// A function (or a driver) is <c>ulong F(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation inv)</c>:
/// its arguments are BPF's r1-r5 and it returns r0, so a BPF-to-BPF call is an ordinary call.
/// A region is <c>long R(ref RegisterFile regs, int pc, Invocation inv)</c>: it starts at slot
/// <c>pc</c> and returns where control goes next (see <see cref="RegionExit"/>).
/// </summary>
public static class MethodSignatures
{
    /// <summary>The index of the <see cref="Invocation"/> parameter of a function or driver.</summary>
    public const int FunctionInvocationArgument = 5;

    /// <summary>The index of the register-file parameter of a region.</summary>
    public const int RegionRegistersArgument = 0;

    /// <summary>The index of the starting-slot parameter of a region.</summary>
    public const int RegionPcArgument = 1;

    /// <summary>The index of the <see cref="Invocation"/> parameter of a region.</summary>
    public const int RegionInvocationArgument = 2;

    private static readonly Type[] s_function = [typeof(ulong), typeof(ulong), typeof(ulong), typeof(ulong), typeof(ulong), typeof(Invocation)];
    private static readonly Type[] s_region = [typeof(RegisterFile).MakeByRefType(), typeof(int), typeof(Invocation)];

    /// <summary>The parameter types of a method of kind <paramref name="kind"/> (a fresh array).</summary>
    public static Type[] ParametersOf(MethodKind kind) => (kind == MethodKind.Region ? s_region : s_function).ToArray();

    /// <summary>The return type of a method of kind <paramref name="kind"/>.</summary>
    public static Type ReturnTypeOf(MethodKind kind) => kind == MethodKind.Region ? typeof(long) : typeof(ulong);

    /// <summary>The index of the <see cref="Invocation"/> parameter of a method of kind <paramref name="kind"/>.</summary>
    public static int InvocationArgumentOf(MethodKind kind) =>
        kind == MethodKind.Region ? RegionInvocationArgument : FunctionInvocationArgument;
}
