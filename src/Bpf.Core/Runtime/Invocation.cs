using System.ComponentModel;
using System.Runtime.CompilerServices;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Runtime;

/// <summary>
/// The state of one run of a program: the memory regions it may touch and its live stack
/// frames (checked mode), its remaining instruction budget, the packet legacy loads read, and
/// the helpers it may call. Every engine passes it to every function of the program and to
/// every helper. One thread uses an invocation at a time; engines rent them per run.
/// </summary>
public sealed partial class Invocation
{
    [ThreadStatic]
    private static Invocation? t_cached;

    private bool _rented;
    private int _cpuSlot = -1;

    private MemoryRegion[] _regions = new MemoryRegion[4];
    private int _regionCount;
    // Live stack frames, innermost last. A tail call raises the floor: the caller's frames are gone
    // for the target, as in Linux, and do not count against its depth.
    private readonly nint[] _frames = new nint[Registers.MaxCallDepth * (MaxTailCalls + 1)];
    private int _frameDepth;
    private int _frameFloor;
    private long _budget;
    private ExecutionOptions _options = ExecutionOptions.Default;

    // The region (or frame) the last checked access hit: most accesses hit the same one again,
    // so the check is two compares. A length of 0 means nothing is cached.
    private ulong _hotStart;
    private ulong _hotLength;
    private bool _hotWritable;

    /// <summary>Creates an invocation for a run with the given options.</summary>
    public Invocation(ExecutionOptions options)
    {
        Reset(options);
    }

    /// <summary>The options of the run.</summary>
    public ExecutionOptions Options => _options;

    /// <summary>The helpers the program may call.</summary>
    public HelperRegistry Helpers => _options.Helpers;

    /// <summary>The first byte of the packet the legacy <c>ldabs</c>/<c>ldind</c> loads read (the input memory for raw programs).</summary>
    public nint PacketStart { get; set; }

    /// <summary>The length of the packet in bytes.</summary>
    public nint PacketLength { get; set; }

    /// <summary>
    /// The runtime's context structure the program received in r1, when a context runner set one
    /// (XDP, socket buffers, host structures): helpers that take the context check their argument against it.
    /// </summary>
    public nint ContextAddress { get; set; }

    /// <summary>
    /// An object the back end that compiled the running code uses to reach what it could not
    /// embed as constants (host helper delegates, later maps and programs).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public object? Environment { get; set; }

    /// <summary>The instructions the run may still execute before it is stopped (checked mode).</summary>
    public long RemainingBudget => _budget;

    /// <summary>The regions added with <see cref="AddRegion"/> for this run.</summary>
    public ReadOnlySpan<MemoryRegion> Regions => _regions.AsSpan(0, _regionCount);

    /// <summary>
    /// Takes this thread's invocation, reset for a run with <paramref name="options"/>, or a new one
    /// when it is in use (a helper that runs another program, say). Calls must pair with <see cref="Return"/>.
    /// </summary>
    public static Invocation Rent(ExecutionOptions options)
    {
        // The fast path only reads the thread-static: a run costs no allocation and no GC write.
        var invocation = t_cached;
        if (invocation is null || invocation._rented)
            return RentNew(options);
        invocation._rented = true;
        invocation.Reset(options);
        return invocation;
    }

    /// <summary>Gives an invocation back for the next run on this thread (and its CPU slot, if it leased one).</summary>
    public static void Return(Invocation invocation)
    {
        invocation.ReleaseCpuSlot();
        invocation._rented = false;
    }

    /// <summary>
    /// The CPU slot of this run (see <see cref="Maps.CpuSlots"/>): per-CPU maps use its values and
    /// <c>bpf_get_smp_processor_id</c> returns it. Leased on first use and held until the run ends,
    /// so no other run uses the slot meanwhile.
    /// </summary>
    public int CpuSlot => _cpuSlot >= 0 ? _cpuSlot : _cpuSlot = Maps.CpuSlots.Lease();

    /// <summary>Gives the CPU slot back, if one was leased (<see cref="Return"/> and <see cref="Reset"/> do this).</summary>
    public void ReleaseCpuSlot()
    {
        if (_cpuSlot >= 0)
        {
            Maps.CpuSlots.Release(_cpuSlot);
            _cpuSlot = -1;
        }
    }

    private static Invocation RentNew(ExecutionOptions options)
    {
        var invocation = new Invocation(options) { _rented = true };
        t_cached ??= invocation;
        return invocation;
    }

    /// <summary>Forgets the regions, frames and packet of the last run and refills the budget.</summary>
    public void Reset(ExecutionOptions options)
    {
        ReleaseCpuSlot();
        if (!ReferenceEquals(_options, options))
            _options = options;
        _regionCount = 0;
        _frameDepth = 0;
        _frameFloor = 0;
        _budget = options.InstructionBudget;
        _hotLength = 0;
        _callDepth = 0;
        _tailCalls = 0;
        _tailCallResult = null;
        Program = null;
        CurrentInstruction = 0;
        PacketStart = 0;
        PacketLength = 0;
        ContextAddress = 0;
        if (Environment is not null)
            Environment = null;
    }
}
