using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Interpretation;

/// <summary>The reference interpreter as an engine.</summary>
public sealed class InterpreterEngine : IBpfEngine
{
    /// <summary>The engine's name as the tools spell it.</summary>
    public const string EngineName = "interpreter";

    /// <summary>The one instance; the engine has no state.</summary>
    public static InterpreterEngine Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => EngineName;

    /// <inheritdoc/>
    public BpfExecutable Prepare(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        return new InterpretedProgram(image, options);
    }
}
