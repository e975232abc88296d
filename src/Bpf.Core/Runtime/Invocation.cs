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
public sealed class Invocation
{
    [ThreadStatic]
    private static Invocation? t_cached;

    private bool _rented;
    private int _cpuSlot = -1;

    private MemoryRegion[] _regions = new MemoryRegion[4];
    private int _regionCount;
    private readonly nint[] _frames = new nint[Registers.MaxCallDepth];
    private int _frameDepth;
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
        _budget = options.InstructionBudget;
        _hotLength = 0;
        PacketStart = 0;
        PacketLength = 0;
        if (Environment is not null)
            Environment = null;
    }

    /// <summary>Lets the program access <paramref name="length"/> bytes at <paramref name="start"/> in checked mode.</summary>
    public void AddRegion(nint start, nint length, bool writable)
    {
        if (length <= 0)
            return;
        if (_regionCount == _regions.Length)
            Array.Resize(ref _regions, _regions.Length * 2);
        _regions[_regionCount++] = new MemoryRegion(start, length, writable);
    }

    // The members below are called by compiled code and by the interpreter.

    /// <summary>Checks a load of <paramref name="size"/> bytes and returns the address as a pointer.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint CheckRead(ulong address, int size, int instruction)
    {
        ulong offset = address - _hotStart;
        if (offset < _hotLength && _hotLength - offset >= (ulong)size)
            return (nint)address;
        if (!IsAccessible(address, size, write: false))
            Traps.OutOfBounds(this, address, size, write: false, instruction);
        return (nint)address;
    }

    /// <summary>Checks a store of <paramref name="size"/> bytes and returns the address as a pointer.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint CheckWrite(ulong address, int size, int instruction)
    {
        ulong offset = address - _hotStart;
        if (offset < _hotLength && _hotLength - offset >= (ulong)size && _hotWritable)
            return (nint)address;
        if (!IsAccessible(address, size, write: true))
            Traps.OutOfBounds(this, address, size, write: true, instruction);
        return (nint)address;
    }

    /// <summary>
    /// Checks an atomic access (read-modify-write, load-acquire or store-release): in bounds,
    /// writable when it writes, and aligned to its size as every processor requires.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public nint CheckAtomic(ulong address, int size, bool write, int instruction)
    {
        if ((address & (ulong)(size - 1)) != 0)
            Traps.Misaligned(address, size, instruction);
        return write ? CheckWrite(address, size, instruction) : CheckRead(address, size, instruction);
    }

    /// <summary>Records the stack frame of a function being entered (checked mode).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void EnterFrame(nint frameStart, int instruction)
    {
        if (_frameDepth == _frames.Length)
            Traps.CallDepthExceeded(instruction);
        _frames[_frameDepth++] = frameStart;
    }

    /// <summary>Forgets the innermost stack frame (checked mode).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void LeaveFrame()
    {
        // The frame is gone: stop trusting it if it is the cached region.
        if (_hotStart == (ulong)_frames[--_frameDepth])
            _hotLength = 0;
    }

    /// <summary>Charges <paramref name="count"/> instructions to the budget and stops the program when it is spent.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ConsumeBudget(int count, int instruction)
    {
        if ((_budget -= count) < 0)
            Traps.BudgetExhausted(_options.InstructionBudget, instruction);
    }

    /// <summary>
    /// The legacy packet load: <paramref name="size"/> bytes at <paramref name="offset"/> into the
    /// packet, in network byte order, zero-extended. Outside the packet the program ends with
    /// r0 = 0, as in Linux.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public unsafe ulong LoadPacket(long offset, int size)
    {
        if (offset < 0 || offset > PacketLength - size)
            throw new PacketLoadAbortException();
        byte* p = (byte*)PacketStart + offset;
        return size switch
        {
            1 => *p,
            2 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(p)),
            _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(p)),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsAccessible(ulong address, int size, bool write)
    {
        // Innermost frame first: most accesses are to the current stack frame.
        for (int i = _frameDepth - 1; i >= 0; i--)
        {
            ulong offset = address - (ulong)_frames[i];
            if (offset <= (ulong)(Registers.StackFrameSize - size))
            {
                Remember((ulong)_frames[i], Registers.StackFrameSize, writable: true);
                return true;
            }
        }

        for (int i = 0; i < _regionCount; i++)
        {
            ref readonly var region = ref _regions[i];
            if (region.Contains(address, size))
            {
                Remember((ulong)region.Start, (ulong)region.Length, region.Writable);
                return !write || region.Writable;
            }
        }

        return false;
    }

    private void Remember(ulong start, ulong length, bool writable)
    {
        _hotStart = start;
        _hotLength = length;
        _hotWritable = writable;
    }

    /// <summary>Finds the region holding an address, for error messages.</summary>
    internal MemoryRegion? RegionContaining(ulong address)
    {
        for (int i = 0; i < _regionCount; i++)
        {
            if (_regions[i].Contains(address, 1))
                return _regions[i];
        }

        return null;
    }
}
