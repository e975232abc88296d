using Bpf.Elf.Btf;
using Bpf.Helpers;

namespace Bpf.Runtime;

/// <summary>How <see cref="BpfObject.Load(string, LoadOptions?)"/> loads an object file.</summary>
public sealed record LoadOptions
{
    /// <summary>The default options.</summary>
    public static LoadOptions Default { get; } = new();

    /// <summary>
    /// The kfuncs programs may call by name: calls of undefined functions resolve to these (after
    /// helpers by name). The default holds the built-in kfuncs (<c>bpf_iter_num_*</c>, <c>memset</c>,
    /// <c>memcpy</c>, <c>memmove</c>, <c>memcmp</c>, arena pages...).
    /// </summary>
    public KfuncRegistry Kfuncs { get; init; } = KfuncRegistry.Default;

    /// <summary>
    /// Program types the host chooses, by program name or by section name (the program name wins);
    /// other programs get the type libbpf's section-name conventions give (<see cref="ProgramType.ForSection"/>).
    /// </summary>
    public IReadOnlyDictionary<string, ProgramType> ProgramTypes { get; init; } = new Dictionary<string, ProgramType>();

    /// <summary>
    /// The most memory one map of the object may ask for (keys and values times entries, per CPU
    /// slot for per-CPU maps; arenas count their pages), so that a hostile or mistaken object cannot
    /// make the host allocate gigabytes. Default 256 MiB.
    /// </summary>
    public long MaxMapBytes { get; init; } = 256L << 20;

    /// <summary>
    /// The options the object's programs are prepared with when the host gives none: helpers, trace
    /// sink or logger, and <see cref="ExecutionOptions.Safety"/> (verified unless the host opts into
    /// checked mode).
    /// </summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>The BTF CO-RE relocations are resolved against; null for the object's own BTF.</summary>
    public BtfData? CoreTarget { get; init; }
}
