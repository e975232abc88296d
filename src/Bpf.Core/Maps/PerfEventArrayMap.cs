using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c>: one slot per CPU (key: the CPU's index, 4 bytes; value 4
/// bytes, in Linux a perf event's file descriptor) through which <c>bpf_perf_event_output</c> sends
/// samples to user space. Here the host subscribes a handler to a slot instead of attaching a perf
/// event, and the handler receives each sample as the program outputs it, on the program's thread.
/// </summary>
/// <remarks>
/// As in Linux, an output to a slot nobody listens to fails with <c>-ENOENT</c> (no perf event
/// attached), an index past <see cref="BpfMap.MaxEntries"/> with <c>-E2BIG</c>, and an output to a slot
/// other than the running program's CPU slot with <c>-EOPNOTSUPP</c> (Linux's events are bound to
/// their CPU); <c>BPF_F_CURRENT_CPU</c> picks the program's slot. A max_entries of 0 means one slot per
/// CPU slot (<see cref="CpuSlots.Count"/>), as libbpf fills it in; the kernel itself refuses 0.
/// </remarks>
public sealed class PerfEventArrayMap : BpfMap
{
    /// <summary><c>BPF_F_INDEX_MASK</c>: the bits of the flags that hold the slot index.</summary>
    public const ulong IndexMask = 0xffff_ffff;

    /// <summary><c>BPF_F_CURRENT_CPU</c>: output to the running program's CPU slot.</summary>
    public const ulong CurrentCpu = IndexMask;

    private readonly Lock _gate = new();
    private readonly Action<int, ReadOnlySpan<byte>>[][] _listeners;

    /// <summary>Creates the map with no listeners.</summary>
    /// <exception cref="ArgumentException">The key or value is not 4 bytes, or max_entries is negative.</exception>
    public PerfEventArrayMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        _listeners = new Action<int, ReadOnlySpan<byte>>[MaxEntries][];
        Array.Fill(_listeners, []);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <summary>
    /// Calls <paramref name="handler"/> with the slot and the data of every sample output to slot
    /// <paramref name="cpu"/>. The span is valid only during the call. A handler's exception leaves
    /// the program's run through the helper call.
    /// </summary>
    /// <returns>Disposing it unsubscribes the handler.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is not a slot of the map.</exception>
    public IDisposable Subscribe(int cpu, Action<int, ReadOnlySpan<byte>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, MaxEntries);
        ThrowIfDisposed();
        lock (_gate)
            Volatile.Write(ref _listeners[cpu], [.. _listeners[cpu], handler]);
        return new Subscription(this, [cpu], handler);
    }

    /// <summary>Subscribes <paramref name="handler"/> to every slot (see <see cref="Subscribe(int, Action{int, ReadOnlySpan{byte}})"/>).</summary>
    /// <returns>Disposing it unsubscribes the handler from every slot.</returns>
    public IDisposable Subscribe(Action<int, ReadOnlySpan<byte>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        lock (_gate)
        {
            for (int cpu = 0; cpu < MaxEntries; cpu++)
                Volatile.Write(ref _listeners[cpu], [.. _listeners[cpu], handler]);
        }

        return new Subscription(this, [.. Enumerable.Range(0, MaxEntries)], handler);
    }

    /// <summary>True if a handler listens to slot <paramref name="cpu"/>.</summary>
    public bool HasListener(int cpu) => (uint)cpu < (uint)MaxEntries && Volatile.Read(ref _listeners[cpu]).Length > 0;

    /// <summary>
    /// <c>bpf_perf_event_output</c>: sends <paramref name="data"/> to the listeners of the slot
    /// <paramref name="flags"/> names (its low 32 bits; <see cref="CurrentCpu"/> for the program's).
    /// </summary>
    /// <returns>0, or <c>-EINVAL</c> (flags beyond the index), <c>-E2BIG</c>, <c>-ENOENT</c>, <c>-EOPNOTSUPP</c> (see the remarks of the class).</returns>
    public long Output(ulong flags, ReadOnlySpan<byte> data, Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if ((flags & ~IndexMask) != 0)
            return -Errno.EINVAL;
        int cpu = invocation.CpuSlot;
        ulong index = flags == CurrentCpu ? (ulong)cpu : flags;
        if (index >= (ulong)MaxEntries)
            return -Errno.E2BIG;
        var listeners = Volatile.Read(ref _listeners[index]);
        if (listeners.Length == 0)
            return -Errno.ENOENT;
        if (index != (ulong)cpu)
            return -Errno.EOPNOTSUPP;
        foreach (var listener in listeners)
            listener((int)index, data);
        return 0;
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        lock (_gate)
            Array.Fill(_listeners, []);
    }

    private void Unsubscribe(int[] cpus, Action<int, ReadOnlySpan<byte>> handler)
    {
        lock (_gate)
        {
            foreach (int cpu in cpus)
            {
                var listeners = _listeners[cpu];
                int at = Array.IndexOf(listeners, handler);
                if (at >= 0)
                    Volatile.Write(ref _listeners[cpu], [.. listeners[..at], .. listeners[(at + 1)..]]);
            }
        }
    }

    private sealed class Subscription(PerfEventArrayMap map, int[] cpus, Action<int, ReadOnlySpan<byte>> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                map.Unsubscribe(cpus, handler);
        }
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.KeySize != sizeof(uint) || definition.ValueSize != sizeof(uint))
            throw new ArgumentException($"map {definition.Name}: a perf event array's key and value must be 4 bytes (key {definition.KeySize}, value {definition.ValueSize})", nameof(definition));
        if (definition.MaxEntries < 0)
            throw new ArgumentException($"map {definition.Name}: max_entries must not be negative", nameof(definition));
        return definition.MaxEntries == 0 ? definition with { MaxEntries = CpuSlots.Count } : definition;
    }
}
