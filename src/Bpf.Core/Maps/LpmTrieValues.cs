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
/// A slot given back (its element deleted or replaced) waits in a first-in first-out line behind
/// at least <see cref="ReuseDelay"/> other slots before it is reused. The kernel frees an element
/// only after every program that might still read it has finished; this runtime cannot know when
/// that is, so the delay stands in for it: a program that looked a value up just before the host
/// removed it still reads that value, unless the trie saw that many deletions and replacements in
/// between. The pool therefore holds at most <c>max_entries + ReuseDelay + 1</c> slots. Not thread-safe:
/// the trie calls it under its lock; <see cref="Regions"/> may be read at any time.
/// </remarks>
internal sealed unsafe class LpmTrieValues
{
    private const int FirstChunkSlots = 16;

    private readonly int _valueSize;
    private readonly int _stride;
    private readonly long _capacity;
    private readonly bool _writable;
    private readonly List<nint> _chunks = [];
    private readonly Queue<nint> _returned = new();
    private MemoryRegion[] _regions = [];
    private nint _next;
    private nint _chunkEnd;
    private long _allocated;

    /// <summary>Creates an empty pool for values of <paramref name="valueSize"/> bytes, enough for <paramref name="maxEntries"/> live values.</summary>
    public LpmTrieValues(int valueSize, int maxEntries, bool writable)
    {
        _valueSize = valueSize;
        _stride = (valueSize + 7) & ~7;
        ReuseDelay = Math.Max(maxEntries, 1024);
        _capacity = (long)maxEntries + ReuseDelay + 1;
        _writable = writable;
    }

    /// <summary>How many slots given back later than a slot must wait before it is reused.</summary>
    public int ReuseDelay { get; }

    /// <summary>The chunks, for checked mode (<see cref="BpfMap.ValueRegions"/>).</summary>
    public IReadOnlyList<MemoryRegion> Regions => Volatile.Read(ref _regions);

    /// <summary>A slot holding a copy of <paramref name="value"/>, the bytes past the value size zero.</summary>
    public nint Rent(ReadOnlySpan<byte> value)
    {
        nint slot;
        if (_returned.Count > ReuseDelay || (_next == _chunkEnd && _allocated == _capacity))
        {
            slot = _returned.Dequeue();
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

    /// <summary>Gives a slot back, to be reused after <see cref="ReuseDelay"/> others.</summary>
    public void Return(nint slot) => _returned.Enqueue(slot);

    /// <summary>Frees every chunk; only when no program or host thread can use the trie any more.</summary>
    public void Free()
    {
        foreach (nint chunk in _chunks)
            NativeMemory.AlignedFree((void*)chunk);
        _chunks.Clear();
        _returned.Clear();
        Volatile.Write(ref _regions, []);
        _next = _chunkEnd = 0;
    }

    private void Grow()
    {
        // Chunks double, so the number of regions checked mode searches stays small.
        long slots = Math.Min(_capacity - _allocated, Math.Max(FirstChunkSlots, _allocated));
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
