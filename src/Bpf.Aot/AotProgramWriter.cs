using Bpf.Aot.Emit;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;
using Bpf.Runtime.Aot;
using Mono.Cecil;
using Mono.Cecil.Cil;
using MethodAttributes = Mono.Cecil.MethodAttributes;

namespace Bpf.Aot;

/// <summary>
/// Writes one program into a class of an assembly being built: its methods (the JIT's lowering
/// through <see cref="CecilBackEnd"/>) and a static factory that returns the program as a
/// <see cref="PrecompiledProgram"/> (its manifest, a delegate per BPF function, the built-in
/// helpers it calls directly).
/// </summary>
public sealed class AotProgramWriter
{
    private AotProgramWriter(ProgramImage image, ProgramPlan plan, CecilBackEnd backEnd, MethodDefinition factory)
    {
        Image = image;
        Plan = plan;
        BackEnd = backEnd;
        Factory = factory;
    }

    /// <summary>The program written.</summary>
    public ProgramImage Image { get; }

    /// <summary>Its plan (made for the image with run-time-bound helpers standing in for the host's).</summary>
    public ProgramPlan Plan { get; }

    /// <summary>The back end that wrote its methods.</summary>
    public CecilBackEnd BackEnd { get; }

    /// <summary><c>public static PrecompiledProgram NAME_Program()</c>.</summary>
    public MethodDefinition Factory { get; }

    /// <summary>Writes <paramref name="image"/> into <paramref name="type"/>.</summary>
    /// <param name="type">The class (already part of its module).</param>
    /// <param name="image">The program.</param>
    /// <param name="options">The options it will run with: checked mode, and the helpers the code calls directly when they are built-ins.</param>
    /// <param name="jitOptions">The lowering's options.</param>
    /// <param name="verified">Whether the verifier accepted the program (recorded in the manifest).</param>
    /// <param name="methodPrefix">What the names of the program's methods start with.</param>
    /// <exception cref="UnresolvedReferenceException">The program calls an unknown helper or refers to something unresolved.</exception>
    public static AotProgramWriter Write(TypeDefinition type, ProgramImage image, ExecutionOptions options, JitOptions jitOptions, bool verified, string methodPrefix)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(jitOptions);
        var bound = new Dictionary<object, CallBinding>(ReferenceEqualityComparer.Instance);
        var (planImage, planOptions) = ForPlanning(image, options, bound);
        var plan = ProgramPlan.Create(planImage, planOptions, jitOptions);
        var backEnd = new CecilBackEnd(type, plan, methodPrefix, bound);
        ProgramLowering.Emit(plan, backEnd);

        var direct = DirectCalls(plan);
        string manifest = PrecompiledProgram.WriteManifest(image, options.Checked, verified, backEnd.Addresses, backEnd.Calls, direct.Select(d => d.Binding));
        var factory = WriteFactory(type, plan, backEnd, methodPrefix + "Program", manifest, direct.Select(d => d.Function).ToList());
        return new AotProgramWriter(image, plan, backEnd, factory);
    }

    /// <summary>
    /// The image and options the program is planned with: built-in helpers and kfuncs (public static
    /// methods of Bpf.Core, which the assembly may call directly) stay; every other one is replaced
    /// by a placeholder that <paramref name="bound"/> maps to the number it is bound by at run time.
    /// </summary>
    private static (ProgramImage Image, ExecutionOptions Options) ForPlanning(ProgramImage image, ExecutionOptions options, Dictionary<object, CallBinding> bound)
    {
        var helpers = new HelperRegistry();
        foreach (var helper in options.Helpers.All)
        {
            var function = helper.Function;
            if (!IsBuiltIn(function))
            {
                function = new HelperPlaceholder($"helper {helper.Id} ({helper.Name})").Invoke;
                bound[function] = new CallBinding(IsKfunc: false, helper.Id);
            }

            helpers.Register(helper.Id, helper.Name, function);
        }

        var kfuncs = new List<KfuncDefinition>();
        for (int i = 0; i < image.Kfuncs.Count; i++)
        {
            var kfunc = image.Kfuncs[i];
            if (IsBuiltIn(kfunc.Function))
            {
                kfuncs.Add(kfunc);
                continue;
            }

            BpfHelperFunction placeholder = new HelperPlaceholder($"kfunc {kfunc.Name}").Invoke;
            bound[placeholder] = new CallBinding(IsKfunc: true, i);
            kfuncs.Add(new KfuncDefinition(kfunc.Name, placeholder));
        }

        return (new ProgramImage(image.Code, image.Maps, kfuncs, image.Type, image.Name), options with { Helpers = helpers });
    }

    private static bool IsBuiltIn(BpfHelperFunction function) =>
        function.Target is null && function.Method is { IsStatic: true, IsPublic: true, DeclaringType: { IsVisible: true } declaring }
        && declaring.Assembly == typeof(PrecompiledProgram).Assembly;

    /// <summary>The built-ins the code calls directly: each call site's helper number or kfunc index and its implementation.</summary>
    private static List<(CallBinding Binding, BpfHelperFunction Function)> DirectCalls(ProgramPlan plan)
    {
        var calls = new List<(CallBinding, BpfHelperFunction)>();
        var seen = new HashSet<CallBinding>();
        var code = plan.Bytecode;
        for (int pc = 0; pc < code.Length; pc++)
        {
            if (code.InfoAt(pc) is not { Operation: Operation.Call or Operation.CallKfunc } info)
                continue;
            var call = plan.References.CallAt(pc);
            var binding = new CallBinding(info.Operation == Operation.CallKfunc, code[pc].Immediate);
            if (call.IsStatic && seen.Add(binding))
                calls.Add((binding, call.Function));
        }

        return calls;
    }

    private static MethodDefinition WriteFactory(
        TypeDefinition type, ProgramPlan plan, CecilBackEnd backEnd, string name, string manifest, List<BpfHelperFunction> direct)
    {
        var module = type.Module;
        var factory = new MethodDefinition(name, MethodAttributes.Public | MethodAttributes.Static | MethodAttributes.HideBySig, module.ImportReference(typeof(PrecompiledProgram)));
        type.Methods.Add(factory);
        var il = factory.Body.GetILProcessor();
        il.Emit(OpCodes.Ldstr, manifest);

        // A delegate per BPF function, made with ldftn: no reflection when the program is instantiated.
        var functions = plan.Bytecode.Functions;
        var functionCtor = module.ImportReference(typeof(PrecompiledFunction).GetConstructors()[0]);
        il.Emit(OpCodes.Ldc_I4, functions.Count);
        il.Emit(OpCodes.Newarr, module.ImportReference(typeof(PrecompiledFunction)));
        for (int i = 0; i < functions.Count; i++)
        {
            il.Emit(OpCodes.Dup);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldnull);
            il.Emit(OpCodes.Ldftn, backEnd.MethodOf(plan.EntryOf(functions[i])));
            il.Emit(OpCodes.Newobj, functionCtor);
            il.Emit(OpCodes.Stelem_Ref);
        }

        var helperCtor = module.ImportReference(typeof(BpfHelperFunction).GetConstructors()[0]);
        il.Emit(OpCodes.Ldc_I4, direct.Count);
        il.Emit(OpCodes.Newarr, module.ImportReference(typeof(BpfHelperFunction)));
        for (int i = 0; i < direct.Count; i++)
        {
            il.Emit(OpCodes.Dup);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldnull);
            il.Emit(OpCodes.Ldftn, module.ImportReference(direct[i].Method));
            il.Emit(OpCodes.Newobj, helperCtor);
            il.Emit(OpCodes.Stelem_Ref);
        }

        il.Emit(OpCodes.Newobj, module.ImportReference(typeof(PrecompiledProgram).GetConstructors()[0]));
        il.Emit(OpCodes.Ret);
        return factory;
    }
}
