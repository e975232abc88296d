using Bpf.Elf.Btf;
using Bpf.Helpers;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Verification;

/// <summary>What a program is verified against: its type, the maps and kfuncs its references name, and what to report.</summary>
public sealed record VerifierOptions
{
    /// <summary>The program type: what r1 is at entry and what the return value may be.</summary>
    public ProgramType Type { get; init; } = ProgramType.RawMemory;

    /// <summary>
    /// The object section the program came from, when it says more than the type (libbpf's expected
    /// attach type: <c>xdp/devmap</c> may read <c>egress_ifindex</c>, <c>cgroup_skb/egress</c> may
    /// return 0-3...); null when there is none.
    /// </summary>
    public string? Section { get; init; }

    /// <summary>The maps <c>lddw</c> map indices refer to.</summary>
    public IReadOnlyList<BpfMap> Maps { get; init; } = [];

    /// <summary>The kfuncs kfunc calls refer to.</summary>
    public IReadOnlyList<KfuncDefinition> Kfuncs { get; init; } = [];

    /// <summary>The source line of an instruction, for diagnostics (null when the program has no line info).</summary>
    public Func<int, BtfLineInfo?>? SourceLines { get; init; }

    /// <summary>The most instructions the verifier interprets over all paths before giving up, as Linux's 1,000,000.</summary>
    public long InstructionBudget { get; init; } = 1_000_000;

    /// <summary>Keep a log of the state at each instruction (<c>bpfjit verify --log</c>).</summary>
    public bool Log { get; init; }

    /// <summary>
    /// What the program may learn about the host: <see cref="VerifierPolicy.Strict"/> (the default)
    /// refuses reads of uninitialized stack and pointers escaping; <see cref="VerifierPolicy.Privileged"/>
    /// applies Linux's rules for root.
    /// </summary>
    public VerifierPolicy Policy { get; init; } = VerifierPolicy.Strict;

    /// <summary>
    /// Require every access to be aligned to its size, as Linux does with <c>BPF_F_STRICT_ALIGNMENT</c>
    /// (packet accesses as if the packet started 2 bytes past an aligned address, NET_IP_ALIGN).
    /// Without it only stack accesses, context fields and atomic operations must be aligned, as on
    /// x86-64 and arm64.
    /// </summary>
    public bool StrictAlignment { get; init; }

    /// <summary>The options for a program image: its type, maps and kfuncs.</summary>
    public static VerifierOptions For(ProgramImage image, Func<int, BtfLineInfo?>? sourceLines = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new VerifierOptions { Type = image.Type, Maps = image.Maps, Kfuncs = image.Kfuncs, SourceLines = sourceLines, Section = image.Section };
    }

    /// <summary>The options for a program of an object: its image, source lines and section.</summary>
    public static VerifierOptions For(BpfProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return For(program.Image, program.LineOf);
    }
}
