using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_PERCPU_ARRAY</c>: an array (see <see cref="ArrayMap"/>) with one value per CPU
/// slot (<see cref="CpuSlots"/>) at each index, all allocated up front and zeroed. Programs see the
/// value of the slot they run on (or any slot through <c>bpf_map_lookup_percpu_elem</c>), so they
/// can count without atomics; the host reads and writes all slots of an index at once, each rounded
/// up to 8 bytes (<see cref="BpfMap.HostValueSize"/>), as the kernel's user-space API does.
/// Elements cannot be deleted.
/// </summary>
public sealed unsafe class PerCpuArrayMap : BpfMap
{
    // PCPU_MIN_UNIT_SIZE: the kernel's bound on a per-CPU value.
    private const int PerCpuValueLimit = 32 * 1024;

    private const BpfMapFlags AllowedFlags = BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly | BpfMapFlags.ReadOnlyProgram
        | BpfMapFlags.WriteOnlyProgram | BpfMapFlags.PreserveElements;

    private byte* _values;
    private uint* _indices;
    private readonly MemoryRegion[] _regions;

    /// <summary>Creates the map, its values zeroed.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for a per-CPU array, as the kernel would refuse it.</exception>
    public PerCpuArrayMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        Stride = (definition.ValueSize + 7) & ~7;
        ElementSize = Stride * CpuSlots.Count;
        try
        {
            _values = (byte*)NativeMemory.AllocZeroed((nuint)MaxEntries, (nuint)ElementSize);
            // The keys bpf_for_each_map_elem hands to callbacks: a read-only table of the indices.
            _indices = (uint*)NativeMemory.Alloc((nuint)MaxEntries, sizeof(uint));
        }
        catch
        {
            Dispose();
            throw;
        }

        for (uint i = 0; i < (uint)MaxEntries; i++)
            _indices[i] = i;
        _regions =
        [
            new MemoryRegion((nint)_values, (nint)MaxEntries * ElementSize, Writable: (Flags & BpfMapFlags.ReadOnlyProgram) == 0),
            new MemoryRegion((nint)_indices, (nint)MaxEntries * sizeof(uint), Writable: false),
        ];
    }

    /// <summary>The distance between the values of consecutive CPU slots: the value size rounded up to 8.</summary>
    public int Stride { get; }

    /// <summary>The bytes of one index: <see cref="Stride"/> times the number of CPU slots.</summary>
    private int ElementSize { get; }

    /// <inheritdoc/>
    public override int HostValueSize => ElementSize;

    /// <summary>The values of every slot (writable unless <see cref="BpfMapFlags.ReadOnlyProgram"/>) and the read-only index table.</summary>
    public override IReadOnlyList<MemoryRegion> ValueRegions => _regions;

    /// <summary>The value of index <paramref name="index"/> in CPU slot <paramref name="cpu"/>, in place, for the host to read or write directly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index or the slot is out of range.</exception>
    public Span<byte> ValueAt(int index, int cpu)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, CpuSlots.Count);
        return new Span<byte>(Slot((uint)index, cpu), ValueSize);
    }

    /// <summary>A typed view of the values (<typeparamref name="T"/> must be <see cref="BpfMap.ValueSize"/> bytes).</summary>
    /// <exception cref="ArgumentException">The size of <typeparamref name="T"/> is not the value size.</exception>
    public PerCpuArrayView<T> AsArray<T>()
        where T : unmanaged => new(this);

    /// <inheritdoc/>
    public override nint Lookup(nint key, Invocation invocation)
    {
        uint index = *(uint*)key;
        return index < (uint)MaxEntries ? (nint)Slot(index, invocation.CpuSlot) : 0;
    }

    /// <inheritdoc/>
    public override nint LookupOnCpu(nint key, uint cpu, Invocation invocation)
    {
        uint index = *(uint*)key;
        return cpu < (uint)CpuSlots.Count && index < (uint)MaxEntries ? (nint)Slot(index, (int)cpu) : 0;
    }

    /// <inheritdoc/>
    /// <remarks>Writes the value of the run's CPU slot only.</remarks>
    public override long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        // The kernel's order (array_map_update_elem): unknown flags, index, BPF_NOEXIST, then
        // BPF_F_LOCK, which needs a spin lock in the value.
        if (((ulong)flags & ~(ulong)MapUpdateFlags.Lock) > (ulong)MapUpdateFlags.Exist)
            return -Errno.EINVAL;
        uint index = *(uint*)key;
        if (index >= (uint)MaxEntries)
            return -Errno.E2BIG;
        if ((flags & MapUpdateFlags.NoExist) != 0)
            return -Errno.EEXIST;
        if ((flags & MapUpdateFlags.Lock) != 0)
            return -Errno.EINVAL;
        Buffer.MemoryCopy((void*)value, Slot(index, invocation.CpuSlot), ValueSize, ValueSize);
        return 0;
    }

    /// <inheritdoc/>
    public override long Delete(nint key, Invocation invocation) => -Errno.EINVAL;

    /// <inheritdoc/>
    /// <remarks>Passes the value of the run's CPU slot.</remarks>
    public override long ForEach(Func<nint, nint, ulong> visit, Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentNullException.ThrowIfNull(invocation);
        invocation.AllowMapAccess(this);
        int cpu = invocation.CpuSlot;
        uint index = 0;
        while (index < (uint)MaxEntries)
        {
            ulong stop = visit((nint)(_indices + index), (nint)Slot(index, cpu));
            index++;
            if (stop != 0)
                break;
        }

        return index;
    }

    /// <inheritdoc/>
    /// <remarks>Every slot's value, each <see cref="Stride"/> bytes apart (<see cref="HostValueSize"/> bytes).</remarks>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        uint index = ReadKey(key);
        if (value.Length < ElementSize)
            throw new ArgumentException($"map {Name}: the value buffer must hold {ElementSize} bytes, not {value.Length}", nameof(value));
        if ((Flags & BpfMapFlags.WriteOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is write-only for the host");
        if (index >= (uint)MaxEntries)
            return false;
        new ReadOnlySpan<byte>(Slot(index, 0), ElementSize).CopyTo(value);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>Takes every slot's value, each <see cref="Stride"/> bytes apart (<see cref="HostValueSize"/> bytes).</remarks>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        uint index = ReadKey(key);
        if (value.Length != ElementSize)
            throw new ArgumentException($"map {Name}: the value must be {ElementSize} bytes, not {value.Length}", nameof(value));
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        // bpf_percpu_array_update: no BPF_F_LOCK for per-CPU values.
        if ((ulong)flags > (ulong)MapUpdateFlags.Exist)
            throw new BpfMapException(Name, Errno.EINVAL, $"unknown update flags {(ulong)flags:x}");
        if (index >= (uint)MaxEntries)
            throw new BpfMapException(Name, Errno.E2BIG, "the index is out of range");
        if (flags == MapUpdateFlags.NoExist)
            throw new BpfMapException(Name, Errno.EEXIST, "every element of an array exists (BPF_NOEXIST)");
        value.CopyTo(new Span<byte>(Slot(index, 0), ElementSize));
    }

    /// <inheritdoc/>
    public override bool Delete(ReadOnlySpan<byte> key) =>
        throw new BpfMapException(Name, Errno.EINVAL, "array elements cannot be deleted");

    /// <inheritdoc/>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        if (nextKey.Length < sizeof(uint))
            throw new ArgumentException($"map {Name}: the next key buffer must hold 4 bytes, not {nextKey.Length}", nameof(nextKey));
        uint next = key.IsEmpty ? 0 : ReadKey(key) is var index && index >= (uint)MaxEntries ? 0 : index + 1;
        if (next >= (uint)MaxEntries)
            return false;
        MemoryMarshal.Write(nextKey, next);
        return true;
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        NativeMemory.Free(_values);
        _values = null;
        NativeMemory.Free(_indices);
        _indices = null;
    }

    private byte* Slot(uint index, int cpu) => _values + (long)index * ElementSize + (long)cpu * Stride;

    private uint ReadKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != sizeof(uint))
            throw new ArgumentException($"map {Name}: the key must be 4 bytes, not {key.Length}", nameof(key));
        return MemoryMarshal.Read<uint>(key);
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string name = definition.Name;
        if (definition.Type != BpfMapType.PercpuArray)
            throw new ArgumentException($"map {name}: a per-CPU array cannot be made from a {definition.Type} definition", nameof(definition));
        if (definition.KeySize != sizeof(uint))
            throw new ArgumentException($"map {name}: an array's key must be 4 bytes, not {definition.KeySize}", nameof(definition));
        if (definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {name}: value size and max_entries must be positive", nameof(definition));
        if ((definition.Flags & ~AllowedFlags) != 0)
            throw new ArgumentException($"map {name}: flags {definition.Flags & ~AllowedFlags} are not valid for a per-CPU array", nameof(definition));
        if ((definition.Flags & (BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly)) == (BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly)
            || (definition.Flags & (BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram)) == (BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram))
            throw new ArgumentException($"map {name}: a map cannot be both read-only and write-only", nameof(definition));
        if (definition.ValueSize > PerCpuValueLimit)
            throw new ArgumentException($"map {name}: a per-CPU value of {definition.ValueSize} bytes is too large (at most {PerCpuValueLimit})", nameof(definition));
        if ((long)((definition.ValueSize + 7) & ~7) * CpuSlots.Count * definition.MaxEntries > int.MaxValue)
            throw new ArgumentException($"map {name}: {definition.MaxEntries} values of {definition.ValueSize} bytes on {CpuSlots.Count} CPUs are too large", nameof(definition));
        return definition;
    }
}
