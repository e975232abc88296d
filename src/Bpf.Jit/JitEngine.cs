using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Jit;

/// <summary>The JIT as an engine: programs compiled to dynamic methods.</summary>
public sealed class JitEngine : IBpfEngine
{
    /// <summary>The engine's name as the tools spell it.</summary>
    public const string EngineName = "jit";

    /// <summary>The one instance; the engine has no state.</summary>
    public static JitEngine Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => EngineName;

    /// <inheritdoc/>
    public BpfExecutable Prepare(Bytecode bytecode, ExecutionOptions options) => JitCompiler.Compile(bytecode, options);
}
