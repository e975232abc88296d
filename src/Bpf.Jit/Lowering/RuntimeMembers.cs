using System.Buffers.Binary;
using System.Reflection;
using Bpf.Helpers;
using Bpf.Runtime;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Jit.Lowering;

/// <summary>The runtime and framework members generated code calls, looked up once.</summary>
internal static class RuntimeMembers
{
    public static readonly MethodInfo CheckRead = Method(typeof(Invocation), nameof(Invocation.CheckRead));
    public static readonly MethodInfo CheckWrite = Method(typeof(Invocation), nameof(Invocation.CheckWrite));
    public static readonly MethodInfo CheckAtomic = Method(typeof(Invocation), nameof(Invocation.CheckAtomic));
    public static readonly MethodInfo EnterFrame = Method(typeof(Invocation), nameof(Invocation.EnterFrame));
    public static readonly MethodInfo LeaveFrame = Method(typeof(Invocation), nameof(Invocation.LeaveFrame));
    public static readonly MethodInfo ConsumeBudget = Method(typeof(Invocation), nameof(Invocation.ConsumeBudget));
    public static readonly MethodInfo LoadPacket = Method(typeof(Invocation), nameof(Invocation.LoadPacket));
    public static readonly MethodInfo SetCurrentInstruction = typeof(Invocation).GetProperty(nameof(Invocation.CurrentInstruction))!.SetMethod!;
    public static readonly MethodInfo TakeTailCallResult = Method(typeof(Invocation), nameof(Invocation.TakeTailCallResult));
    public static readonly MethodInfo GetEnvironment = typeof(Invocation).GetProperty(nameof(Invocation.Environment))!.GetMethod!;

    public static readonly MethodInfo Div64 = Method(typeof(Arithmetic), nameof(Arithmetic.Div64));
    public static readonly MethodInfo Mod64 = Method(typeof(Arithmetic), nameof(Arithmetic.Mod64));
    public static readonly MethodInfo SDiv64 = Method(typeof(Arithmetic), nameof(Arithmetic.SDiv64));
    public static readonly MethodInfo SMod64 = Method(typeof(Arithmetic), nameof(Arithmetic.SMod64));
    public static readonly MethodInfo Div32 = Method(typeof(Arithmetic), nameof(Arithmetic.Div32));
    public static readonly MethodInfo Mod32 = Method(typeof(Arithmetic), nameof(Arithmetic.Mod32));
    public static readonly MethodInfo SDiv32 = Method(typeof(Arithmetic), nameof(Arithmetic.SDiv32));
    public static readonly MethodInfo SMod32 = Method(typeof(Arithmetic), nameof(Arithmetic.SMod32));

    public static readonly MethodInfo FetchXor64 = Method(typeof(AtomicOperations), nameof(AtomicOperations.FetchXor64));
    public static readonly MethodInfo FetchXor32 = Method(typeof(AtomicOperations), nameof(AtomicOperations.FetchXor32));
    public static readonly MethodInfo AddressSpaceCast = Method(typeof(MapOperations), nameof(MapOperations.AddressSpaceCast));
    public static readonly MethodInfo AddressSpaceCastToProgram = Method(typeof(MapOperations), nameof(MapOperations.AddressSpaceCastToProgram));
    public static readonly MethodInfo ArrayLookup = Method(typeof(MapOperations), nameof(MapOperations.ArrayLookup));
    public static readonly MethodInfo ArrayLookupChecked = Method(typeof(MapOperations), nameof(MapOperations.ArrayLookupChecked));
    public static readonly MethodInfo Callx = Method(typeof(CallSupport), nameof(CallSupport.Callx));
    public static readonly MethodInfo HelperInvoke = Method(typeof(BpfHelperFunction), nameof(BpfHelperFunction.Invoke));

    public static readonly MethodInfo InterlockedAdd64 = Interlocked(nameof(System.Threading.Interlocked.Add), typeof(long), 2);
    public static readonly MethodInfo InterlockedAdd32 = Interlocked(nameof(System.Threading.Interlocked.Add), typeof(int), 2);
    public static readonly MethodInfo InterlockedOr64 = Interlocked(nameof(System.Threading.Interlocked.Or), typeof(long), 2);
    public static readonly MethodInfo InterlockedOr32 = Interlocked(nameof(System.Threading.Interlocked.Or), typeof(int), 2);
    public static readonly MethodInfo InterlockedAnd64 = Interlocked(nameof(System.Threading.Interlocked.And), typeof(long), 2);
    public static readonly MethodInfo InterlockedAnd32 = Interlocked(nameof(System.Threading.Interlocked.And), typeof(int), 2);

    public static readonly MethodInfo FetchingAdd64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Add64));
    public static readonly MethodInfo FetchingAdd32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Add32));
    public static readonly MethodInfo FetchingOr64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Or64));
    public static readonly MethodInfo FetchingOr32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Or32));
    public static readonly MethodInfo FetchingAnd64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.And64));
    public static readonly MethodInfo FetchingAnd32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.And32));
    public static readonly MethodInfo FetchingXor64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Xor64));
    public static readonly MethodInfo FetchingXor32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Xor32));
    public static readonly MethodInfo FetchingExchange64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Exchange64));
    public static readonly MethodInfo FetchingExchange32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.Exchange32));
    public static readonly MethodInfo FetchingCompareExchange64 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.CompareExchange64));
    public static readonly MethodInfo FetchingCompareExchange32 = Method(typeof(FetchingAtomics), nameof(FetchingAtomics.CompareExchange32));

    public static readonly MethodInfo ReverseEndianness16 = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(ushort)])!;
    public static readonly MethodInfo ReverseEndianness32 = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(uint)])!;
    public static readonly MethodInfo ReverseEndianness64 = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(ulong)])!;

    public static readonly FieldInfo[] RegisterFields =
        Enumerable.Range(0, Isa.Registers.Count).Select(i => typeof(RegisterFile).GetField("R" + i)!).ToArray();

    /// <summary><c>Volatile.Read(ref T)</c> for a value of <paramref name="size"/> bytes.</summary>
    public static MethodInfo VolatileRead(int size) => Volatile(nameof(System.Threading.Volatile.Read), UnsignedOfSize(size), 1);

    /// <summary><c>Volatile.Write(ref T, T)</c> for a value of <paramref name="size"/> bytes.</summary>
    public static MethodInfo VolatileWrite(int size) => Volatile(nameof(System.Threading.Volatile.Write), UnsignedOfSize(size), 2);

    private static Type UnsignedOfSize(int size) => size switch
    {
        1 => typeof(byte),
        2 => typeof(ushort),
        4 => typeof(uint),
        _ => typeof(ulong),
    };

    private static MethodInfo Method(Type type, string name) =>
        type.GetMethod(name, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
        ?? throw new MissingMethodException(type.FullName, name);

    private static MethodInfo Interlocked(string name, Type type, int parameters) =>
        typeof(Interlocked).GetMethods(BindingFlags.Public | BindingFlags.Static).Single(m =>
            m.Name == name && !m.IsGenericMethodDefinition && m.GetParameters() is var p && p.Length == parameters
            && p[0].ParameterType == type.MakeByRefType() && p.Skip(1).All(q => q.ParameterType == type));

    private static MethodInfo Volatile(string name, Type type, int parameters) =>
        typeof(Volatile).GetMethods(BindingFlags.Public | BindingFlags.Static).Single(m =>
            m.Name == name && !m.IsGenericMethodDefinition && m.GetParameters() is var p && p.Length == parameters
            && p[0].ParameterType == type.MakeByRefType());
}
