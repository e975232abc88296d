using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Helpers;

/// <summary>Running small assembly programs that call helpers and kfuncs, on one engine.</summary>
internal static class HelperPrograms
{
    /// <summary>Checked mode without the default budget's surprises: the default options.</summary>
    public static ExecutionOptions Checked => ExecutionOptions.Default;

    /// <summary>The options of a caller that vouches for its programs.</summary>
    public static ExecutionOptions Unchecked { get; } = ExecutionOptions.Default with { Safety = ProgramSafety.Trusted };

    /// <summary>Assembles and runs <paramref name="source"/> on <paramref name="engine"/> with r1 = <paramref name="memory"/>.</summary>
    public static ulong Run(string engine, string source, byte[]? memory = null, ExecutionOptions? options = null,
        IReadOnlyList<BpfMap>? maps = null, IReadOnlyList<string>? kfuncs = null)
    {
        var bound = kfuncs?.Select(name => KfuncRegistry.Default.Find(name) ?? throw new ArgumentException($"no built-in kfunc {name}")).ToList();
        var image = new ProgramImage(Assembler.Assemble(source), maps, bound);
        return Engines.Get(engine).Prepare(image, options ?? Checked).Run(memory ?? []);
    }

    /// <summary>The 64-bit value a program sees for error <paramref name="errno"/>.</summary>
    public static ulong Error(int errno) => (ulong)(long)-errno;
}
