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
        options ??= ExecutionOptions.Default;
        var plan = ProgramPlan.Create(image, options, jitOptions ?? JitOptions.Default);
        var backEnd = new DynamicMethodBackEnd(plan);
        var metrics = ProgramLowering.Emit(plan, backEnd);
        var entry = (CompiledFunction)backEnd.MethodOf(plan.Entry).CreateDelegate(typeof(CompiledFunction));
        return new JittedProgram(image, options, plan, entry, backEnd.Constants, metrics);
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
