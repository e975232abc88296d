using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_ARRAY</c>: <see cref="BpfMap.MaxEntries"/> values indexed by a 32-bit key, all
/// allocated up front and zeroed, each 8-byte aligned. Values are read and written in place by
/// programs, so a lookup is a bounds check and an add (which the JIT emits inline). Elements
/// cannot be deleted. Global data sections (<c>.data</c>, <c>.rodata</c>, <c>.bss</c>) are arrays
/// of one element.
/// </summary>
public sealed unsafe class ArrayMap : BpfMap
{
    private byte* _values;
    private MemoryRegion[] _regions;
    private nint _indices;
    private readonly Lock _regionGate = new();
    private int _frozen;

    /// <summary>Creates the map, its values zeroed.</summary>
    /// <exception cref="ArgumentException">The key is not 4 bytes, or the value size or entry count is not positive.</exception>
    public ArrayMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        Stride = (definition.ValueSize + 7) & ~7;
        long bytes = (long)Stride * definition.MaxEntries;
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear(_values, (nuint)bytes);
        _regions = [new MemoryRegion((nint)_values, (nint)bytes, Writable: (definition.Flags & BpfMapFlags.ReadOnlyProgram) == 0)];
    }

    /// <summary>The distance between consecutive values: the value size rounded up to 8.</summary>
    public int Stride { get; }

    /// <summary>The address of the first value (values are <see cref="Stride"/> bytes apart).</summary>
    public nint ValuesAddress => (nint)_values;

    /// <summary>True once <see cref="Freeze"/> made the map read-only for the host.</summary>
    public bool IsFrozen => Volatile.Read(ref _frozen) != 0;

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => _regions;

    /// <summary>
    /// Makes the map read-only for the host from now on, as <c>BPF_MAP_FREEZE</c> does; programs keep
    /// the access its flags give them (<c>.rodata</c> has <see cref="BpfMapFlags.ReadOnlyProgram"/>).
    /// </summary>
    public void Freeze() => Volatile.Write(ref _frozen, 1);

    /// <summary>The value at <paramref name="index"/> in place, for the host to read or write directly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not below <see cref="BpfMap.MaxEntries"/>.</exception>
    public Span<byte> ValueAt(int index)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        return new Span<byte>(_values + (long)index * Stride, ValueSize);
    }

    /// <inheritdoc/>
    public override bool TryGetDirectValueAddress(out nint address)
    {
        address = MaxEntries == 1 ? (nint)_values : 0;
        return MaxEntries == 1;
    }

    /// <inheritdoc/>
    public override nint Lookup(nint key, Invocation invocation)
    {
        uint index = *(uint*)key;
        return index < (uint)MaxEntries ? (nint)(_values + (long)index * Stride) : 0;
    }

    /// <inheritdoc/>
    public override long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Store(*(uint*)key, new ReadOnlySpan<byte>((void*)value, ValueSize), flags);
    }

    /// <inheritdoc/>
    public override long Delete(nint key, Invocation invocation) => -Errno.EINVAL;

    /// <inheritdoc/>
    public override long ForEach(Func<nint, nint, ulong> visit, Invocation invocation)
    {
        uint* indices = Indices();
        invocation.AllowMapAccess(this);
        uint index = 0;
        while (index < (uint)MaxEntries)
        {
            ulong stop = visit((nint)(indices + index), (nint)(_values + (long)index * Stride));
            index++;
            if (stop != 0)
                break;
        }

        return index;
    }

    /// <inheritdoc/>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        uint index = ReadKey(key);
        if (index >= (uint)MaxEntries)
            return false;
        new ReadOnlySpan<byte>(_values + (long)index * Stride, ValueSize).CopyTo(value);
        return true;
    }

    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        if (IsFrozen || (Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        if (value.Length != ValueSize)
            throw new ArgumentException($"the value must be {ValueSize} bytes, not {value.Length}", nameof(value));
        // The bpf(2) syscall refuses BPF_F_LOCK for a value without a bpf_spin_lock before the map sees it.
        long result = (flags & MapUpdateFlags.Lock) != 0 ? -Errno.EINVAL : Store(ReadKey(key), value, flags);
        if (result < 0)
            throw new BpfMapException(Name, (int)-result, result == -Errno.E2BIG ? "the index is out of range" : "the update was refused");
    }

    /// <inheritdoc/>
    public override bool Delete(ReadOnlySpan<byte> key) =>
        throw new BpfMapException(Name, Errno.EINVAL, "array elements cannot be deleted");

    /// <inheritdoc/>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        uint next = key.IsEmpty ? 0 : ReadKey(key) >= (uint)MaxEntries ? 0 : ReadKey(key) + 1;
        if (next >= (uint)MaxEntries)
            return false;
        MemoryMarshal.Write(nextKey, next);
        return true;
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        NativeMemory.AlignedFree(_values);
        _values = null;
        NativeMemory.Free((void*)_indices);
        _indices = 0;
    }

    /// <summary>
    /// The keys <see cref="ForEach"/> hands to callbacks: a read-only table of the indices, made on first
    /// use, so that the key pointer is map memory a checked program may read (not the host's stack).
    /// </summary>
    private uint* Indices()
    {
        var table = (uint*)Volatile.Read(ref _indices);
        if (table != null)
            return table;
        lock (_regionGate)
        {
            if (_indices != 0)
                return (uint*)_indices;
            table = (uint*)NativeMemory.Alloc((nuint)MaxEntries, sizeof(uint));
            for (uint i = 0; i < (uint)MaxEntries; i++)
                table[i] = i;
            _regions = [.. _regions, new MemoryRegion((nint)table, (nint)MaxEntries * sizeof(uint), Writable: false)];
            Volatile.Write(ref _indices, (nint)table);
            return table;
        }
    }

    private long Store(uint index, ReadOnlySpan<byte> value, MapUpdateFlags flags)
    {
        // The kernel's order: flags (other than BPF_F_LOCK) above BPF_EXIST, then the index, then
        // NOEXIST, then BPF_F_LOCK, which needs a bpf_spin_lock in the value (this map knows of none).
        if (((ulong)flags & ~(ulong)MapUpdateFlags.Lock) > (ulong)MapUpdateFlags.Exist)
            return -Errno.EINVAL;
        if (index >= (uint)MaxEntries)
            return -Errno.E2BIG;
        if ((flags & MapUpdateFlags.NoExist) != 0)
            return -Errno.EEXIST; // every element of an array exists
        if ((flags & MapUpdateFlags.Lock) != 0)
            return -Errno.EINVAL;
        value.CopyTo(new Span<byte>(_values + (long)index * Stride, ValueSize));
        return 0;
    }

    private uint ReadKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != sizeof(uint))
            throw new ArgumentException($"map {Name}: the key must be 4 bytes, not {key.Length}", nameof(key));
        return MemoryMarshal.Read<uint>(key);
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.KeySize != sizeof(uint))
            throw new ArgumentException($"map {definition.Name}: an array's key must be 4 bytes, not {definition.KeySize}", nameof(definition));
        if (definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: value size and max_entries must be positive", nameof(definition));
        if ((long)((definition.ValueSize + 7) & ~7) * definition.MaxEntries > int.MaxValue)
            throw new ArgumentException($"map {definition.Name}: {definition.MaxEntries} values of {definition.ValueSize} bytes are too large", nameof(definition));
        return definition;
    }
}
