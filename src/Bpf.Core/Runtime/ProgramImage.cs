using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime.Contexts;

namespace Bpf.Runtime;

/// <summary>
/// A program with everything its instructions refer to bound: what engines prepare. An
/// <c>lddw</c> of a map (source 1 or 5) loads <c>Maps[imm]</c>'s handle, one of a map value (source
/// 2 or 6) the address of <c>Maps[imm]</c>'s value plus the second slot's immediate, and a kfunc
/// call (source 2) calls <c>Kfuncs[imm]</c>. The loader builds these from object files; a host can
/// build one around its own bytecode and maps.
/// </summary>
public sealed class ProgramImage
{
    private readonly Dictionary<(IBpfEngine, ExecutionOptions), BpfExecutable> _executables = new();
    private Bytecode? _executableCode;

    /// <summary>Binds <paramref name="code"/> to its maps and kfuncs.</summary>
    public ProgramImage(
        Bytecode code,
        IReadOnlyList<BpfMap>? maps = null,
        IReadOnlyList<KfuncDefinition>? kfuncs = null,
        ProgramType? type = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
        Maps = maps ?? [];
        Kfuncs = kfuncs ?? [];
        Type = type ?? ProgramType.RawMemory;
        Name = name ?? code.Functions[0].Name;
    }

    /// <summary>The instructions, as the object file or the host gave them.</summary>
    public Bytecode Code { get; }

    /// <summary>
    /// The instructions as engines run them: <see cref="Code"/> with its context accesses translated
    /// for the program type's context (<see cref="ContextTranslation"/>); <see cref="Code"/> itself
    /// when the type has no context layout. Same length and numbering as <see cref="Code"/>.
    /// </summary>
    /// <exception cref="Verification.ContextAccessException">A context access is invalid for the program type.</exception>
    public Bytecode ExecutableCode => _executableCode ??= Type.Context is { HasPointerFields: true } layout ? ContextTranslation.Apply(Code, layout) : Code;

    /// <summary>The maps the program refers to, by the index its <c>lddw</c> instructions carry.</summary>
    public IReadOnlyList<BpfMap> Maps { get; }

    /// <summary>The kfuncs the program calls, by the index its kfunc calls carry.</summary>
    public IReadOnlyList<KfuncDefinition> Kfuncs { get; }

    /// <summary>The program type: what its context is.</summary>
    public ProgramType Type { get; }

    /// <summary>The program's name (its function's symbol in an object file).</summary>
    public string Name { get; }

    /// <summary>
    /// The image prepared by <paramref name="engine"/> with <paramref name="options"/>, prepared once
    /// and then reused (the target of a tail call, say).
    /// </summary>
    public BpfExecutable GetExecutable(IBpfEngine engine, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        lock (_executables)
        {
            var key = (engine, options);
            if (!_executables.TryGetValue(key, out var executable))
            {
                executable = engine.Prepare(this, options);
                _executables[key] = executable;
            }

            return executable;
        }
    }

    /// <summary>An image of bytecode alone: raw memory context, no maps, no kfuncs.</summary>
    public static implicit operator ProgramImage(Bytecode code) => new(code);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Type}, {Code.Length} instructions)";
}
