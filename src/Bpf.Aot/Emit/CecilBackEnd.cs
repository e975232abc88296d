using System.Reflection;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;
using Bpf.Runtime.Aot;
using Mono.Cecil;
using MethodAttributes = Mono.Cecil.MethodAttributes;
using ParameterAttributes = Mono.Cecil.ParameterAttributes;

namespace Bpf.Aot.Emit;

/// <summary>
/// The ahead-of-time back end: one static method of a Mono.Cecil type per planned method. It
/// collects what the code binds at run time (addresses and calls, each in its own slot of the
/// <see cref="AotBindingTable"/>) and where each BPF instruction's IL starts (for the PDB).
/// </summary>
public sealed class CecilBackEnd : IBackEnd<CecilEmitter>
{
    private static readonly string[] s_functionParameters = ["r1", "r2", "r3", "r4", "r5", "invocation"];
    private static readonly string[] s_regionParameters = ["registers", "pc", "invocation"];

    private readonly ModuleDefinition _module;
    private readonly MethodDefinition[] _methods;
    private readonly CecilMethodBody?[] _bodies;
    private readonly IReadOnlyDictionary<object, CallBinding> _boundCalls;
    private readonly Dictionary<BoundAddress, int> _addressSlots = new();
    private readonly Dictionary<CallBinding, int> _callSlots = new();
    private readonly Dictionary<object, MemberReference> _imports = new();

    /// <summary>Declares a method of <paramref name="type"/> for every method of <paramref name="plan"/>.</summary>
    /// <param name="type">The class the methods go into.</param>
    /// <param name="plan">The program's plan.</param>
    /// <param name="methodPrefix">What every method's name starts with (the program's name), so that several programs share a class.</param>
    /// <param name="boundCalls">
    /// What each implementation object the lowering loads (<see cref="IILEmitter.EmitLoadConstant"/>)
    /// stands for: the helper number or kfunc index it is bound by at run time.
    /// </param>
    public CecilBackEnd(TypeDefinition type, ProgramPlan plan, string methodPrefix, IReadOnlyDictionary<object, CallBinding> boundCalls)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(boundCalls);
        _module = type.Module;
        _boundCalls = boundCalls;
        Plan = plan;
        TableAddress = _module.ImportReference(typeof(AotBindingTable).GetMethod(nameof(AotBindingTable.Address))!);
        TableCall = _module.ImportReference(typeof(AotBindingTable).GetMethod(nameof(AotBindingTable.Call))!);
        _methods = plan.Methods.Select(m => Declare(type, m, methodPrefix)).ToArray();
        _bodies = new CecilMethodBody?[_methods.Length];
    }

    /// <summary>The plan the methods implement.</summary>
    public ProgramPlan Plan { get; }

    /// <summary>The addresses the code looks up, by slot.</summary>
    public IReadOnlyList<BoundAddress> Addresses => _addressSlots.OrderBy(p => p.Value).Select(p => p.Key).ToList();

    /// <summary>The calls the code makes through the table, by slot.</summary>
    public IReadOnlyList<CallBinding> Calls => _callSlots.OrderBy(p => p.Value).Select(p => p.Key).ToList();

    internal MethodReference TableAddress { get; }

    internal MethodReference TableCall { get; }

    /// <summary>The method written for a planned method.</summary>
    public MethodDefinition MethodOf(MethodPlan method) => _methods[method.Id];

    /// <summary>Where each BPF instruction's IL starts in the method written for <paramref name="method"/> (after <see cref="EndMethod"/>).</summary>
    public IReadOnlyList<(int Pc, Mono.Cecil.Cil.Instruction First)> InstructionStartsOf(MethodPlan method) =>
        _bodies[method.Id]?.InstructionStarts ?? [];

    /// <inheritdoc/>
    public CecilEmitter BeginMethod(MethodPlan method)
    {
        var body = new CecilMethodBody(method, _methods[method.Id]);
        _bodies[method.Id] = body;
        return new CecilEmitter(this, body);
    }

    /// <inheritdoc/>
    public void EndMethod(MethodPlan method, ILMetrics metrics) => _bodies[method.Id]!.ResolveLabels();

    // Each import makes a new reference; the writer would merge them, but only after hashing each one.
    internal TypeReference Import(Type type) => Cached(type, () => _module.ImportReference(type));

    internal MethodReference Import(MethodInfo method) => Cached(method, () => _module.ImportReference(method));

    internal FieldReference Import(FieldInfo field) => Cached(field, () => _module.ImportReference(field));

    private T Cached<T>(object key, Func<T> import)
        where T : MemberReference
    {
        if (!_imports.TryGetValue(key, out var reference))
        {
            reference = import();
            _imports.Add(key, reference);
        }

        return (T)reference;
    }

    internal int AddressSlotOf(BoundAddress address)
    {
        if (!_addressSlots.TryGetValue(address, out int slot))
        {
            slot = _addressSlots.Count;
            _addressSlots.Add(address, slot);
        }

        return slot;
    }

    internal int CallSlotOf(object implementation)
    {
        if (!_boundCalls.TryGetValue(implementation, out var call))
            throw new InvalidOperationException($"the lowering loads {implementation}, which the AOT back end cannot bind at run time");
        if (!_callSlots.TryGetValue(call, out int slot))
        {
            slot = _callSlots.Count;
            _callSlots.Add(call, slot);
        }

        return slot;
    }

    private MethodDefinition Declare(TypeDefinition type, MethodPlan plan, string prefix)
    {
        var method = new MethodDefinition(prefix + plan.Name, MethodAttributes.Private | MethodAttributes.Static | MethodAttributes.HideBySig, Import(plan.ReturnType));
        var names = plan.Kind == MethodKind.Region ? s_regionParameters : s_functionParameters;
        var types = plan.ParameterTypes;
        for (int i = 0; i < types.Length; i++)
            method.Parameters.Add(new ParameterDefinition(names[i], ParameterAttributes.None, Import(types[i])));

        // The frame is localloc'd and every register is written before it is read: zeroing the
        // locals would only cost time (checked mode zeroes the frame itself).
        method.Body.InitLocals = false;

        // CoreCLR would compile these at Tier0 first (about twice the code of the optimized
        // version) and optimize them only after 30 calls; the JIT's DynamicMethods are optimized
        // at their first call. AggressiveOptimization does the same here. NativeAOT compiles
        // everything optimized anyway (crossgen2 leaves such methods to the JIT).
        method.AggressiveOptimization = true;
        type.Methods.Add(method);
        return method;
    }
}
