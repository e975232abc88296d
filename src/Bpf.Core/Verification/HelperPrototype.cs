using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>
/// What the verifier knows about a helper or kfunc without running it, after the kernel's
/// <c>struct bpf_func_proto</c>: the kind of each argument register, what it returns, and its side
/// effects. Arguments are numbered from 1, as registers r1-r5 and the kernel's <c>arg1_type</c>...
/// </summary>
/// <param name="Id">The helper number (the <c>call</c> immediate), or <see cref="KfuncId"/> for a kfunc, which programs call by name.</param>
/// <param name="Name">The C name (<c>bpf_map_lookup_elem</c>, <c>bpf_iter_num_new</c>).</param>
/// <param name="Return">What r0 holds after the call.</param>
/// <param name="Arguments">The kinds of r1, r2, ... in order; registers past the list are <see cref="HelperArgument.DontCare"/>.</param>
public sealed record HelperPrototype(int Id, string Name, HelperReturn Return, IReadOnlyList<HelperArgument> Arguments)
{
    /// <summary>The <see cref="Id"/> of kfuncs.</summary>
    public const int KfuncId = -1;

    /// <summary>The most arguments a helper takes (r1-r5).</summary>
    public const int MaxArguments = 5;

    /// <summary>True for a kfunc (called by name), false for a helper (called by number).</summary>
    public bool IsKfunc => Id == KfuncId;

    /// <summary><c>gpl_only</c>: only programs whose license is GPL-compatible may call it.</summary>
    public bool GplOnly { get; init; }

    /// <summary>
    /// <c>pkt_access</c>: the helper accepts packet pointers (checked against the packet range) for
    /// its memory, key and value arguments, in the program types that may access packets directly.
    /// </summary>
    public bool PacketAccess { get; init; }

    /// <summary>
    /// The kernel's <c>bpf_helper_changes_pkt_data</c>: the helper may move or resize the packet,
    /// so every packet pointer the program holds (registers and spilled) becomes invalid after the
    /// call and must be loaded again from the context.
    /// </summary>
    public bool ChangesPacketData { get; init; }

    /// <summary>The argument (1-5) holding the reference the call releases (<c>OBJ_RELEASE</c>), or 0.</summary>
    public int ReleasesArgument { get; init; }

    /// <summary>True if the returned pointer is a reference the program must release (<see cref="HelperReturn.RingbufMemoryOrNull"/>).</summary>
    public bool AcquiresReference => Return == HelperReturn.RingbufMemoryOrNull;

    /// <summary>The argument (1-5) whose constant value is the size of the returned memory, or 0.</summary>
    public int ReturnSizeArgument { get; init; }

    /// <summary>The fixed size of the returned memory (<see cref="HelperReturn.ReadOnlyMemoryOrNull"/>), or 0.</summary>
    public int ReturnSize { get; init; }

    /// <summary>
    /// True if a program may call it while it holds a spin lock. Linux allows no helper call in a
    /// critical section except <c>bpf_spin_unlock</c> (and a few graph kfuncs this runtime lacks).
    /// </summary>
    public bool AllowedUnderSpinLock { get; init; }

    /// <summary>
    /// The map types the <see cref="HelperArgument.MapPointer"/> argument may be (the function side of
    /// the kernel's <c>check_map_func_compatibility</c>); null when any map may be passed that the map
    /// side allows (<see cref="MapHelperCompatibility"/>).
    /// </summary>
    public IReadOnlyList<BpfMapType>? MapTypes { get; init; }

    /// <summary>
    /// What the callback in the <see cref="HelperArgument.Function"/> argument receives in r1, r2, ...;
    /// empty when the helper takes no callback.
    /// </summary>
    public IReadOnlyList<CallbackArgument> CallbackArguments { get; init; } = [];

    /// <summary>The values the callback may return (the kernel's <c>callback_ret_range</c>); null when the helper takes no callback.</summary>
    public ReturnRange? CallbackReturnRange { get; init; }

    /// <summary>For a kfunc, its <c>KF_*</c> flags.</summary>
    public KfuncFlags KfuncFlags { get; init; }

    /// <summary>
    /// For each argument (index 0 for r1), the argument (1-5) that gives its size, or 0; null when
    /// every sized memory argument takes its size from the next one, as for every helper. Kfuncs
    /// name theirs (<c>memcpy(dst, src, n)</c>: both pointers take <c>n</c>).
    /// </summary>
    public IReadOnlyList<int>? SizeArguments { get; init; }

    /// <summary>The kind of argument <paramref name="register"/> (1-5); <see cref="HelperArgument.DontCare"/> past the list.</summary>
    public HelperArgument Argument(int register)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(register, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(register, MaxArguments);
        return register <= Arguments.Count ? Arguments[register - 1] : HelperArgument.DontCare;
    }

    /// <summary>
    /// The argument (1-5) that gives the byte count of memory argument <paramref name="register"/>,
    /// or 0 when <paramref name="register"/> is not a sized memory argument.
    /// </summary>
    public int SizeArgumentOf(int register)
    {
        if (!Argument(register).IsSizedMemory())
            return 0;
        if (SizeArguments is not null)
            return register <= SizeArguments.Count ? SizeArguments[register - 1] : 0;
        return register < MaxArguments && Argument(register + 1).IsSize() ? register + 1 : 0;
    }

    /// <summary>The C-like signature with the kernel's argument type names, for diagnostics.</summary>
    public override string ToString() =>
        $"{Return} {Name}({string.Join(", ", Arguments.Select(a => a.KernelName()))})";
}
