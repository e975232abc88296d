using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Jit;

/// <summary>The JIT as an engine: programs compiled to dynamic methods.</summary>
public sealed class JitEngine : IBpfEngine
{
    /// <summary>The engine's name as the tools spell it.</summary>
    public const string EngineName = "jit";

    /// <summary>Creates the engine with JIT-specific options (most callers use <see cref="Instance"/>).</summary>
    public JitEngine(JitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The engine with the default options.</summary>
    public static JitEngine Instance { get; } = new(JitOptions.Default);

    /// <summary>The JIT-specific options.</summary>
    public JitOptions Options { get; }

    /// <inheritdoc/>
    public string Name => EngineName;

    /// <inheritdoc/>
    public BpfExecutable Prepare(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        return JitCompiler.Compile(this, image, options);
    }
}
