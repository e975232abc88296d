using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_RINGBUF</c>: records programs send to the host, in the order they were reserved.
/// <see cref="BpfMap.MaxEntries"/> is the data size in bytes, a power of two and a multiple of the
/// 4096-byte page. Each record is an 8-byte header (the length, with the busy and discard bits, and
/// the record's page offset) followed by the data, rounded up to 8 bytes, at its producer position
/// modulo the data size, exactly as the kernel lays it out (<see cref="RingBufferLayout"/>).
/// </summary>
/// <remarks>
/// <para>
/// Many programs may reserve at once: reservations are serialized (a short lock, as the kernel's
/// spinlock), commits are not, and the consumer sees records in reservation order, each only once it
/// is committed; a discarded record is skipped. There is one consumer at a time (the host calls are
/// serialized). Records that run past the end of the data continue in a second copy of the data size,
/// as the kernel maps the data pages twice, so a record is always contiguous.
/// </para>
/// <para>
/// A reservation is handed to the program as memory of its own: in checked mode the run may touch the
/// reserved bytes (not the headers) until it submits or discards them. The submit and discard helpers
/// take only the data pointer, as in Linux; a pointer that is not an outstanding reservation is
/// ignored instead of corrupting the ring. A reservation that is never submitted nor discarded (Linux's
/// verifier forbids such programs) holds back every later record.
/// </para>
/// </remarks>
public sealed unsafe class RingBufferMap : BpfMap
{
    private readonly ulong _mask;
    private byte* _data;
    // One bit per 8-byte slot of the data: set while the record whose header is there is reserved and
    // not yet committed. It is how a commit tells a real reservation from any other pointer.
    private readonly ulong[] _outstanding;
    private readonly Lock _producerGate = new();
    private readonly Lock _consumerGate = new();

    private ulong _consumerPosition;
    private ulong _producerPosition;
    // Before this position every record is committed (producers advance it under the lock, as the kernel does).
    private ulong _pendingPosition;
    private TaskCompletionSource? _waiter;
    private TimeSpan _pollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Creates the ring buffer, its data zeroed and both positions at 0.</summary>
    /// <exception cref="ArgumentException">
    /// The key or value size is not 0, the size is not a power of two multiple of 4096 bytes, or flags
    /// other than <see cref="BpfMapFlags.NumaNode"/> are set (the kernel's <c>EINVAL</c>).
    /// </exception>
    public RingBufferMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        _mask = (ulong)definition.MaxEntries - 1;
        nuint bytes = 2 * (nuint)definition.MaxEntries;
        _data = (byte*)NativeMemory.AlignedAlloc(bytes, RingBufferLayout.PageSize);
        NativeMemory.Clear(_data, bytes);
        _outstanding = new ulong[Math.Max(1, definition.MaxEntries / RingBufferLayout.HeaderSize / 64)];
        RingBufferRegistry.Add(this, (nint)_data, (nint)bytes);
    }

    /// <summary>The data size in bytes (<see cref="BpfMap.MaxEntries"/>), what <c>BPF_RB_RING_SIZE</c> reports.</summary>
    public int DataSize => MaxEntries;

    /// <summary>
    /// The consumer position: the bytes consumed since creation (header and padding included). Like
    /// the kernel's, it only grows; its value modulo <see cref="DataSize"/> is where the next record starts.
    /// </summary>
    public ulong ConsumerPosition => Volatile.Read(ref _consumerPosition);

    /// <summary>The producer position: the bytes reserved since creation, header and padding included.</summary>
    public ulong ProducerPosition => Volatile.Read(ref _producerPosition);

    /// <summary>The bytes reserved and not yet consumed (<c>BPF_RB_AVAIL_DATA</c>).</summary>
    public ulong AvailableData => ProducerPosition - ConsumerPosition;

    /// <summary>
    /// How long <see cref="ReadAllAsync"/> waits at most before it looks for records again without a
    /// wake-up: records submitted with <c>BPF_RB_NO_WAKEUP</c> are noticed within it. 100 ms by default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The interval is not positive.</exception>
    public TimeSpan PollInterval
    {
        get => _pollInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _pollInterval = value;
        }
    }

    /// <summary>The address of the data: position 0's header.</summary>
    internal nint DataAddress => (nint)_data;

    /// <summary>None: a reservation becomes the reserving run's memory alone (see the remarks of the class).</summary>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <summary>
    /// Reserves a record of <paramref name="size"/> bytes, as <c>bpf_ringbuf_reserve</c>: the address of
    /// its data, or 0 when the ring has no room for it (the consumer is too far behind, or an older
    /// record is still uncommitted so far back that the new one would overlap it).
    /// </summary>
    public nint Reserve(ulong size)
    {
        if (size > RingBufferLayout.MaxRecordSize)
            return 0;
        ulong length = RingBufferLayout.RecordLength((uint)size);
        if (length > (ulong)DataSize)
            return 0;
        ulong consumer = Volatile.Read(ref _consumerPosition);
        lock (_producerGate)
        {
            ulong producer = _producerPosition;
            ulong pending = _pendingPosition;
            while (pending < producer)
            {
                uint header = Volatile.Read(ref *(uint*)(_data + (pending & _mask)));
                if ((header & RingBufferLayout.BusyBit) != 0)
                    break;
                pending += RingBufferLayout.RecordLength(header & ~RingBufferLayout.DiscardBit);
            }

            _pendingPosition = pending;
            ulong next = producer + length;
            // The kernel's two conditions: the producer stays less than a whole ring ahead of the consumer,
            // and of the oldest uncommitted record.
            if (next - consumer > _mask || next - pending > _mask)
                return 0;

            ulong offset = producer & _mask;
            byte* record = _data + offset;
            *(uint*)record = (uint)size | RingBufferLayout.BusyBit;
            *(uint*)(record + 4) = RingBufferLayout.PageOffsetOf(offset);
            Interlocked.Or(ref _outstanding[offset / RingBufferLayout.HeaderSize / 64], 1UL << (int)(offset / RingBufferLayout.HeaderSize % 64));
            Volatile.Write(ref _producerPosition, next);
            return (nint)(record + RingBufferLayout.HeaderSize);
        }
    }

    /// <summary>
    /// Commits the reservation whose data is at <paramref name="sample"/>: submits it, or marks it
    /// discarded so the consumer skips it, as <c>bpf_ringbuf_submit</c> and <c>bpf_ringbuf_discard</c>.
    /// Wakes a waiting consumer when the consumer is at this record, unless <paramref name="flags"/>
    /// has <see cref="RingBufferLayout.NoWakeup"/>; always with <see cref="RingBufferLayout.ForceWakeup"/>.
    /// </summary>
    /// <returns>The record's data size, or -1 when <paramref name="sample"/> is not an outstanding reservation of this ring.</returns>
    public long Commit(nint sample, bool discard, ulong flags)
    {
        ulong offset = (ulong)sample - RingBufferLayout.HeaderSize - (ulong)_data;
        if (offset >= (ulong)DataSize || offset % RingBufferLayout.HeaderSize != 0)
            return -1;
        ulong bit = 1UL << (int)(offset / RingBufferLayout.HeaderSize % 64);
        if ((Interlocked.And(ref _outstanding[offset / RingBufferLayout.HeaderSize / 64], ~bit) & bit) == 0)
            return -1;

        ref uint header = ref *(uint*)(_data + offset);
        uint size = header & ~RingBufferLayout.BusyBit;
        Interlocked.Exchange(ref header, discard ? size | RingBufferLayout.DiscardBit : size);

        ulong consumer = Volatile.Read(ref _consumerPosition) & _mask;
        if ((flags & RingBufferLayout.ForceWakeup) != 0 || (consumer == offset && (flags & RingBufferLayout.NoWakeup) == 0))
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
        return size;
    }

    /// <summary>
    /// <c>bpf_ringbuf_output</c>: reserves a record, copies <paramref name="data"/> into it and submits it.
    /// </summary>
    /// <returns>0, or <c>-EAGAIN</c> when the ring has no room.</returns>
    public long Output(ReadOnlySpan<byte> data, ulong flags)
    {
        nint record = Reserve((ulong)data.Length);
        if (record == 0)
            return -Errno.EAGAIN;
        data.CopyTo(new Span<byte>((void*)record, data.Length));
        Commit(record, discard: false, flags);
        return 0;
    }

    /// <summary>
    /// Passes every committed record to <paramref name="handler"/>, in order, and consumes it (discarded
    /// records are skipped), until it reaches the producer or a record still being written. The span is
    /// the record's data in place, valid only during the call; a record whose handler throws is consumed.
    /// </summary>
    /// <returns>The number of records handled.</returns>
    /// <exception cref="InvalidOperationException">The handler itself consumes from this ring.</exception>
    public int Consume(Action<ReadOnlySpan<byte>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        using var consumer = EnterConsumer();
        int count = 0;
        while (NextRecord(out byte* data, out uint size, out ulong next))
        {
            try
            {
                handler(new ReadOnlySpan<byte>(data, (int)size));
            }
            finally
            {
                Volatile.Write(ref _consumerPosition, next);
            }

            count++;
        }

        return count;
    }

    /// <summary>Takes the next committed record (skipping discarded ones), as a copy.</summary>
    /// <returns>False when there is none yet.</returns>
    public bool TryRead(out byte[] record)
    {
        using var consumer = EnterConsumer();
        if (!NextRecord(out byte* data, out uint size, out ulong next))
        {
            record = [];
            return false;
        }

        record = new ReadOnlySpan<byte>(data, (int)size).ToArray();
        Volatile.Write(ref _consumerPosition, next);
        return true;
    }

    /// <summary>
    /// The records as they are committed, each a copy, until <paramref name="cancellationToken"/> is
    /// cancelled. Between records it waits without spinning: a commit wakes it (as the kernel's
    /// notification, see <see cref="Commit"/>), and it looks again every <see cref="PollInterval"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The map was disposed.</exception>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryRead(out var record))
            {
                yield return record;
                continue;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _waiter, waiter);
            // A record committed after TryRead looked but before the waiter was published woke nobody.
            if (HasCommittedRecord())
                continue;
            await Task.WhenAny(waiter.Task, Task.Delay(PollInterval, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>bpf_ringbuf_query</c>: 0 <c>BPF_RB_AVAIL_DATA</c>, 1 <c>BPF_RB_RING_SIZE</c>, 2
    /// <c>BPF_RB_CONS_POS</c>, 3 <c>BPF_RB_PROD_POS</c>; 0 for anything else, as the kernel.
    /// </summary>
    public ulong Query(ulong what) => what switch
    {
        RingBufferLayout.QueryAvailableData => AvailableData,
        RingBufferLayout.QueryRingSize => (ulong)DataSize,
        RingBufferLayout.QueryConsumerPosition => ConsumerPosition,
        RingBufferLayout.QueryProducerPosition => ProducerPosition,
        _ => 0,
    };

    /// <summary>
    /// A copy of the 8 bytes of record header at <paramref name="position"/> (a producer or consumer
    /// position; taken modulo the data size), for tools and tests that check the kernel's layout.
    /// </summary>
    public ulong HeaderAt(ulong position)
    {
        using var reference = KeepAlive();
        return Volatile.Read(ref *(ulong*)(_data + (position & _mask)));
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        RingBufferRegistry.Remove(this);
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    private bool NextRecord(out byte* data, out uint size, out ulong next)
    {
        ulong consumer = _consumerPosition;
        while (consumer < Volatile.Read(ref _producerPosition))
        {
            byte* record = _data + (consumer & _mask);
            uint header = Volatile.Read(ref *(uint*)record);
            if ((header & RingBufferLayout.BusyBit) != 0)
                break;
            size = header & ~RingBufferLayout.DiscardBit;
            next = consumer + RingBufferLayout.RecordLength(size);
            if ((header & RingBufferLayout.DiscardBit) == 0)
            {
                data = record + RingBufferLayout.HeaderSize;
                return true;
            }

            consumer = next;
            Volatile.Write(ref _consumerPosition, consumer);
        }

        data = null;
        size = 0;
        next = consumer;
        return false;
    }

    private bool HasCommittedRecord()
    {
        using var reference = KeepAlive();
        ulong consumer = Volatile.Read(ref _consumerPosition);
        return consumer < Volatile.Read(ref _producerPosition)
            && (Volatile.Read(ref *(uint*)(_data + (consumer & _mask))) & RingBufferLayout.BusyBit) == 0;
    }

    private ConsumerScope EnterConsumer()
    {
        if (_consumerGate.IsHeldByCurrentThread)
            throw new InvalidOperationException($"map {Name}: a record handler cannot consume from the ring it is handling");
        var reference = KeepAlive();
        _consumerGate.Enter();
        return new ConsumerScope(this, reference);
    }

    // Host calls hold a reference, so that disposing the map meanwhile cannot free the data under them.
    private MapReference KeepAlive()
    {
        ThrowIfDisposed();
        AddReference();
        return new MapReference(this);
    }

    private readonly struct MapReference(BpfMap map) : IDisposable
    {
        public void Dispose() => map.ReleaseReference();
    }

    private readonly struct ConsumerScope(RingBufferMap map, MapReference reference) : IDisposable
    {
        public void Dispose()
        {
            map._consumerGate.Exit();
            reference.Dispose();
        }
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.KeySize != 0 || definition.ValueSize != 0)
            throw new ArgumentException($"map {definition.Name}: a ring buffer has no keys or values (key and value size must be 0)", nameof(definition));
        if (definition.MaxEntries <= 0 || (definition.MaxEntries & (definition.MaxEntries - 1)) != 0 || definition.MaxEntries % RingBufferLayout.PageSize != 0)
            throw new ArgumentException($"map {definition.Name}: a ring buffer's size (max_entries, {definition.MaxEntries}) must be a power of two and a multiple of {RingBufferLayout.PageSize}", nameof(definition));
        if ((definition.Flags & ~BpfMapFlags.NumaNode) != 0)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for a ring buffer", nameof(definition));
        return definition;
    }
}
