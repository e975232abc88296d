using Bpf.Isa;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;

namespace Bpf.Jit;

/// <summary>Compiles BPF programs to IL that RyuJIT turns into machine code.</summary>
public static class JitCompiler
{
    /// <summary>Compiles <paramref name="image"/> to dynamic methods.</summary>
    /// <exception cref="UnresolvedReferenceException">The program calls an unknown helper or refers to something unresolved.</exception>
    public static JittedProgram Compile(ProgramImage image, ExecutionOptions? options = null, JitOptions? jitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var engine = jitOptions is null || jitOptions == JitOptions.Default ? JitEngine.Instance : new JitEngine(jitOptions);
        return Compile(engine, image, options ?? ExecutionOptions.Default);
    }

    /// <summary>Compiles <paramref name="image"/> for <paramref name="engine"/>, whose options it uses.</summary>
    internal static JittedProgram Compile(JitEngine engine, ProgramImage image, ExecutionOptions options)
    {
        var plan = ProgramPlan.Create(image, options, engine.Options);
        var backEnd = new DynamicMethodBackEnd(plan);
        var metrics = ProgramLowering.Emit(plan, backEnd);
        return new JittedProgram(
            engine, image, options, plan,
            method => (CompiledFunction)backEnd.MethodOf(method).CreateDelegate(typeof(CompiledFunction)),
            backEnd.Constants, metrics);
    }

    /// <summary>The IL the JIT generates for <paramref name="image"/>, as text.</summary>
    public static string DumpIL(ProgramImage image, ExecutionOptions? options = null, JitOptions? jitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var plan = ProgramPlan.Create(image, options ?? ExecutionOptions.Default, jitOptions ?? JitOptions.Default);
        var backEnd = new TextBackEnd();
        ProgramLowering.Emit(plan, backEnd);
        return backEnd.ToString();
    }
}
