using Bpf.Isa;
using Bpf.Jit.Emit;
using Bpf.Jit.Lowering;
using Bpf.Runtime;

namespace Bpf.Jit;

/// <summary>Compiles BPF programs to IL that RyuJIT turns into machine code.</summary>
public static class JitCompiler
{
    /// <summary>Compiles <paramref name="bytecode"/> to dynamic methods.</summary>
    /// <exception cref="UnresolvedReferenceException">The program calls an unknown helper or refers to something unresolved.</exception>
    public static JittedProgram Compile(Bytecode bytecode, ExecutionOptions? options = null, JitOptions? jitOptions = null)
    {
        options ??= ExecutionOptions.Default;
        var plan = ProgramPlan.Create(bytecode, options, jitOptions ?? JitOptions.Default);
        var backEnd = new DynamicMethodBackEnd(plan);
        var metrics = ProgramLowering.Emit(plan, backEnd);
        var entry = (CompiledFunction)backEnd.MethodOf(plan.Entry).CreateDelegate(typeof(CompiledFunction));
        return new JittedProgram(bytecode, options, plan, entry, backEnd.Constants, metrics);
    }

    /// <summary>The IL the JIT generates for <paramref name="bytecode"/>, as text.</summary>
    public static string DumpIL(Bytecode bytecode, ExecutionOptions? options = null, JitOptions? jitOptions = null)
    {
        var plan = ProgramPlan.Create(bytecode, options ?? ExecutionOptions.Default, jitOptions ?? JitOptions.Default);
        var backEnd = new TextBackEnd();
        ProgramLowering.Emit(plan, backEnd);
        return backEnd.ToString();
    }
}
