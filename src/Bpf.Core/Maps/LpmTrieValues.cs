using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// The value memory of an <see cref="LpmTrieMap"/>: slots of the value size rounded up to 8, in
/// unmanaged chunks allocated as the trie grows (the kernel's trie allocates per element:
/// <c>BPF_F_NO_PREALLOC</c>) and freed only with the map, so a value pointer a program holds always
/// points into live memory.
/// </summary>
/// <remarks>
/// <para>
/// The kernel frees a deleted or replaced element only after every program that might still read it
/// has finished (an RCU grace period). This runtime cannot see when runs finish, so a slot given
/// back waits out <see cref="GracePeriod"/> of wall-clock time, far longer than a program holds a
/// pointer unless its thread is stalled, before it is reused; meanwhile new slots are allocated.
/// Until then a program that looked the value up before its removal still reads that value, not
/// another element's. To bound memory when the trie is churned faster than that, the pool stops
/// growing at <see cref="Capacity"/> slots: max_entries + 1 live ones plus room for at least
/// max_entries and about <see cref="ChurnBudgetBytes"/> of waiting ones. When it is full the oldest
/// waiting slot is reused early; only a program stalled through that much churn can then read a
/// newer element's value through an old pointer (never freed memory).
/// </para>
/// <para>
/// Memory that became free is kept for reuse, not returned to the system, until the map is freed.
/// Not thread-safe: the trie calls it under its lock; <see cref="Regions"/> may be read at any time.
/// </para>
/// </remarks>
internal sealed unsafe class LpmTrieValues
{
    /// <summary>How long a slot given back waits before it is reused (unless the pool is full).</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(1);

    /// <summary>About how many bytes of slots may wait out their grace period before the pool stops growing.</summary>
    public const long ChurnBudgetBytes = 16 << 20;

    private const int FirstChunkSlots = 16;

    private readonly int _valueSize;
    private readonly int _stride;
    private readonly bool _writable;
    private readonly TimeProvider _clock;
    private readonly List<nint> _chunks = [];
    private readonly Queue<(nint Slot, long Returned)> _waiting = new();
    private MemoryRegion[] _regions = [];
    private nint _next;
    private nint _chunkEnd;
    private long _allocated;

    /// <summary>Creates an empty pool for values of <paramref name="valueSize"/> bytes, at most <paramref name="maxEntries"/> of them live.</summary>
    /// <param name="valueSize">The value size.</param>
    /// <param name="maxEntries">The trie's max_entries.</param>
    /// <param name="writable">Whether programs may write the values (checked mode).</param>
    /// <param name="clock">The clock of the grace period (tests pass their own).</param>
    public LpmTrieValues(int valueSize, int maxEntries, bool writable, TimeProvider? clock = null)
    {
        _valueSize = valueSize;
        _stride = (valueSize + 7) & ~7;
        _writable = writable;
        _clock = clock ?? TimeProvider.System;
        Capacity = maxEntries + 1L + Math.Max(maxEntries, ChurnBudgetBytes / _stride);
    }

    /// <summary>The most slots the pool allocates.</summary>
    public long Capacity { get; }

    /// <summary>The slots allocated so far.</summary>
    public long Allocated => _allocated;

    /// <summary>The chunks, for checked mode (<see cref="BpfMap.ValueRegions"/>).</summary>
    public IReadOnlyList<MemoryRegion> Regions => Volatile.Read(ref _regions);

    /// <summary>A slot holding a copy of <paramref name="value"/>, the bytes past the value size zero.</summary>
    public nint Rent(ReadOnlySpan<byte> value)
    {
        nint slot;
        bool full = _next == _chunkEnd && _allocated == Capacity;
        if (_waiting.TryPeek(out var oldest) && (full || _clock.GetElapsedTime(oldest.Returned) >= GracePeriod))
        {
            slot = _waiting.Dequeue().Slot;
        }
        else
        {
            if (_next == _chunkEnd)
                Grow();
            slot = _next;
            _next += _stride;
        }

        value.CopyTo(new Span<byte>((void*)slot, _valueSize));
        return slot;
    }

    /// <summary>Gives a slot back, to be reused once its grace period is over.</summary>
    public void Return(nint slot) => _waiting.Enqueue((slot, _clock.GetTimestamp()));

    /// <summary>Frees every chunk; only when no program or host thread can use the trie any more.</summary>
    public void Free()
    {
        foreach (nint chunk in _chunks)
            NativeMemory.AlignedFree((void*)chunk);
        _chunks.Clear();
        _waiting.Clear();
        Volatile.Write(ref _regions, []);
        _next = _chunkEnd = 0;
    }

    private void Grow()
    {
        // Chunks double, so the number of regions checked mode searches stays small.
        long slots = Math.Min(Capacity - _allocated, Math.Max(FirstChunkSlots, _allocated));
        long bytes = slots * _stride;
        var chunk = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear(chunk, (nuint)bytes);
        _chunks.Add((nint)chunk);
        _allocated += slots;
        _next = (nint)chunk;
        _chunkEnd = (nint)(chunk + bytes);
        Volatile.Write(ref _regions, [.. _regions, new MemoryRegion((nint)chunk, (nint)bytes, _writable)]);
    }
}
