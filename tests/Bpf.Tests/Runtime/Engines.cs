using Bpf.Aot;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Tests.Runtime;

/// <summary>Every engine, so that each semantics test runs on all of them (add new engines here).</summary>
internal static class Engines
{
    /// <summary>The engines by name, for <c>TestFixtureSource</c>.</summary>
    public static readonly string[] Names = [InterpreterEngine.EngineName, JitEngine.EngineName, AotEngine.EngineName];

    /// <summary>The engine called <paramref name="name"/>.</summary>
    public static IBpfEngine Get(string name) => name switch
    {
        InterpreterEngine.EngineName => InterpreterEngine.Instance,
        JitEngine.EngineName => JitEngine.Instance,
        AotEngine.EngineName => AotEngine.Instance,
        _ => throw new ArgumentException($"no engine {name}", nameof(name)),
    };

    /// <summary>Assembles <paramref name="source"/> and prepares it on <paramref name="engine"/>.</summary>
    public static BpfExecutable Prepare(string engine, string source, ExecutionOptions? options = null) =>
        Get(engine).Prepare(Assembler.Assemble(source), options ?? ExecutionOptions.Default);

    /// <summary>Assembles, prepares and runs <paramref name="source"/> on <paramref name="memory"/> (or none).</summary>
    public static ulong Run(string engine, string source, byte[]? memory = null, ExecutionOptions? options = null) =>
        Prepare(engine, source, options).Run(memory ?? []);
}
