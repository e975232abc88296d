using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// What the hash map types share (<see cref="HashMap"/>, <see cref="PerCpuHashMap"/>,
/// <see cref="LruHashMap"/>, <see cref="LruPerCpuHashMap"/>): keys of any size mapped to values in
/// a table with room for <see cref="BpfMap.MaxEntries"/> elements, with the kernel's update flags
/// and errors. Lookups return a pointer to the value inside the map, 8-byte aligned, which stays
/// valid while the map lives; updates of an existing key copy the new value over it in place.
/// </summary>
/// <remarks>
/// Memory: the elements are allocated when the map is made, zeroed and uncommitted until used (so
/// <see cref="BpfMapFlags.NoPrealloc"/> is accepted but changes nothing). A deleted element's
/// memory is not freed while the map lives and is reused only after other free elements (see
/// <see cref="ValueRegions"/> for what programs may touch). Keys handed to
/// <c>bpf_for_each_map_elem</c> callbacks point into a block programs may read but not write.
/// </remarks>
public abstract unsafe class HashMapBase : BpfMap
{
    // PCPU_MIN_UNIT_SIZE: the kernel's bound on a per-CPU value.
    private const int PerCpuValueLimit = 32 * 1024;
    // KMALLOC_MAX_SIZE on x86-64: the kernel's bound on key + value.
    private const long ElementLimit = 4L << 20;

    private const BpfMapFlags AllowedFlags = BpfMapFlags.NoPrealloc | BpfMapFlags.NoCommonLru | BpfMapFlags.NumaNode
        | BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly | BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram | BpfMapFlags.ZeroSeed;

    private readonly HashTable? _table;
    private readonly bool _perCpu;
    private readonly MemoryRegion[] _regions = [];

    /// <summary>Creates the map (for the hash map classes of this assembly).</summary>
    /// <exception cref="ArgumentException">The definition is invalid for the map type, as the kernel would refuse it.</exception>
    private protected HashMapBase(BpfMapDefinition definition, BpfMapType type, bool lru, bool perCpu)
        : base(Validate(definition, type, lru, perCpu))
    {
        IsLru = lru;
        _perCpu = perCpu;
        Stride = (definition.ValueSize + 7) & ~7;
        try
        {
            _table = new HashTable(KeySize, MaxEntries, perCpu ? Stride * CpuSlots.Count : Stride, lru, (Flags & BpfMapFlags.ZeroSeed) != 0);
        }
        catch
        {
            Dispose();
            throw;
        }

        _regions =
        [
            new MemoryRegion(_table.ValueBlock, _table.ValueBlockLength, Writable: (Flags & BpfMapFlags.ReadOnlyProgram) == 0),
            new MemoryRegion(_table.KeyBlock, _table.KeyBlockLength, Writable: false),
        ];
    }

    /// <summary>True for the LRU types: a new key evicts the least recently used one when the map is full.</summary>
    public bool IsLru { get; }

    /// <summary>The value size rounded up to 8: the distance between the values of consecutive CPU slots of per-CPU maps.</summary>
    public int Stride { get; }

    /// <summary>The number of keys in the map (exact when no update is under way).</summary>
    public int Count
    {
        get
        {
            ThrowIfDisposed();
            return Table.Count;
        }
    }

    /// <inheritdoc/>
    public override int HostValueSize => _perCpu ? Stride * CpuSlots.Count : ValueSize;

    /// <summary>The values (writable unless <see cref="BpfMapFlags.ReadOnlyProgram"/>) and the keys (read-only).</summary>
    public override IReadOnlyList<MemoryRegion> ValueRegions => _regions;

    private HashTable Table => _table!;

    /// <inheritdoc/>
    public override nint Lookup(nint key, Invocation invocation)
    {
        int element = Table.Find((byte*)key, touch: true);
        if (element < 0)
            return 0;
        byte* value = Table.ValueOf(element);
        return (nint)(_perCpu ? value + (long)invocation.CpuSlot * Stride : value);
    }

    /// <inheritdoc/>
    public override nint LookupOnCpu(nint key, uint cpu, Invocation invocation)
    {
        if (!_perCpu || cpu >= (uint)CpuSlots.Count)
            return 0;
        int element = Table.Find((byte*)key, touch: true);
        return element < 0 ? 0 : (nint)(Table.ValueOf(element) + (long)cpu * Stride);
    }

    /// <inheritdoc/>
    /// <remarks>Per-CPU maps: the value of the run's CPU slot; a new key's other slots start at zero, as in the kernel.</remarks>
    public override long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        if (!IsValid(flags))
            return -Errno.EINVAL;
        var store = new ValueStore(this, (byte*)value, _perCpu ? invocation.CpuSlot : -1);
        return Table.Upsert((byte*)key, flags, ref store);
    }

    /// <inheritdoc/>
    public override long Delete(nint key, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        var store = default(ValueStore);
        return Table.Remove((byte*)key, ref store) ? 0 : -Errno.ENOENT;
    }

    /// <inheritdoc/>
    /// <remarks>Per-CPU maps pass the value of the run's CPU slot.</remarks>
    public override long ForEach(Func<nint, nint, ulong> visit, Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentNullException.ThrowIfNull(invocation);
        invocation.AllowMapAccess(this);
        var table = Table;
        long offset = _perCpu ? (long)invocation.CpuSlot * Stride : 0;
        return table.ForEach(element => visit((nint)table.KeyOf(element), (nint)(table.ValueOf(element) + offset)) != 0);
    }

    /// <inheritdoc/>
    /// <remarks>Per-CPU maps: every slot's value, each <see cref="Stride"/> bytes apart. Does not count as a use for LRU.</remarks>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        CheckKey(key);
        if (value.Length < HostValueSize)
            throw new ArgumentException($"map {Name}: the value buffer must hold {HostValueSize} bytes, not {value.Length}", nameof(value));
        if ((Flags & BpfMapFlags.WriteOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is write-only for the host");
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var reader = new ValueReader(this, v);
            return Table.Read(k, ref reader);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Per-CPU maps take every slot's value, each <see cref="Stride"/> bytes apart (<see cref="HostValueSize"/> bytes).</remarks>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        CheckKey(key);
        if (value.Length != HostValueSize)
            throw new ArgumentException($"map {Name}: the value must be {HostValueSize} bytes, not {value.Length}", nameof(value));
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        if ((flags & MapUpdateFlags.Lock) != 0)
            throw new BpfMapException(Name, Errno.EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value");
        if (!IsValid(flags))
            throw new BpfMapException(Name, Errno.EINVAL, $"unknown update flags {(ulong)flags:x}");
        long result;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var store = new ValueStore(this, v, _perCpu ? ValueStore.AllSlots : -1);
            result = Table.Upsert(k, flags, ref store);
        }

        if (result < 0)
            throw new BpfMapException(Name, (int)-result, UpdateRefusal((int)-result));
    }

    /// <inheritdoc/>
    public override bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        CheckKey(key);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        fixed (byte* k = key)
        {
            var store = default(ValueStore);
            return Table.Remove(k, ref store);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The order is the table's bucket order; a key that is not in the map gives the first key, as in the kernel.</remarks>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        if (!key.IsEmpty)
            CheckKey(key);
        if (nextKey.Length < KeySize)
            throw new ArgumentException($"map {Name}: the next key buffer must hold {KeySize} bytes, not {nextKey.Length}", nameof(nextKey));
        if ((Flags & BpfMapFlags.WriteOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is write-only for the host");
        fixed (byte* k = key)
        fixed (byte* next = nextKey)
            return Table.TryGetNextKey(key.IsEmpty ? null : k, next);
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        _table?.Free();
    }

    /// <summary>The message of a refused update.</summary>
    private static string UpdateRefusal(int errno) => errno switch
    {
        Errno.EEXIST => "the key exists (BPF_NOEXIST)",
        Errno.ENOENT => "the key does not exist (BPF_EXIST)",
        Errno.E2BIG => "the map is full",
        _ => "the update was refused",
    };

    /// <summary>Update flags the hash maps take: BPF_ANY, BPF_NOEXIST or BPF_EXIST (BPF_F_LOCK needs a spin lock, which values here never have).</summary>
    private static bool IsValid(MapUpdateFlags flags) => (ulong)flags <= (ulong)MapUpdateFlags.Exist;

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"map {Name}: the key must be {KeySize} bytes, not {key.Length}", nameof(key));
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition, BpfMapType type, bool lru, bool perCpu)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string name = definition.Name;
        if (definition.Type != type)
            throw new ArgumentException($"map {name}: a {type} map cannot be made from a {definition.Type} definition", nameof(definition));
        if (definition.KeySize <= 0 || definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {name}: key size, value size and max_entries must be positive", nameof(definition));
        if ((definition.Flags & ~AllowedFlags) != 0)
            throw new ArgumentException($"map {name}: flags {definition.Flags & ~AllowedFlags} are not valid for a hash map", nameof(definition));
        if ((definition.Flags & (BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly)) == (BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly)
            || (definition.Flags & (BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram)) == (BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram))
            throw new ArgumentException($"map {name}: a map cannot be both read-only and write-only", nameof(definition));
        if ((definition.Flags & BpfMapFlags.NoCommonLru) != 0 && !lru)
            throw new ArgumentException($"map {name}: BPF_F_NO_COMMON_LRU is only for LRU maps", nameof(definition));
        if ((definition.Flags & BpfMapFlags.NoPrealloc) != 0 && lru)
            throw new ArgumentException($"map {name}: LRU maps are always preallocated (BPF_F_NO_PREALLOC is not supported)", nameof(definition));
        if ((definition.Flags & BpfMapFlags.NumaNode) != 0 && (perCpu || (definition.Flags & BpfMapFlags.NoCommonLru) != 0))
            throw new ArgumentException($"map {name}: per-CPU maps cannot have a NUMA node", nameof(definition));
        if ((long)definition.KeySize + definition.ValueSize >= ElementLimit)
            throw new ArgumentException($"map {name}: key and value of {definition.KeySize} + {definition.ValueSize} bytes are too large", nameof(definition));
        if (perCpu && definition.ValueSize > PerCpuValueLimit)
            throw new ArgumentException($"map {name}: a per-CPU value of {definition.ValueSize} bytes is too large (at most {PerCpuValueLimit})", nameof(definition));
        return definition;
    }

    /// <summary>Writes an update's value into an element: one slot of a per-CPU map, all slots from the host, or the whole value.</summary>
    private readonly struct ValueStore(HashMapBase map, byte* source, int slot) : IHashElementCallbacks
    {
        /// <summary>The slot that means "every slot, from a host buffer of <see cref="HostValueSize"/> bytes".</summary>
        public const int AllSlots = -2;

        public void Store(int element, bool created)
        {
            byte* target = map.Table.ValueOf(element);
            int stride = map.Stride;
            if (slot == AllSlots)
            {
                Buffer.MemoryCopy(source, target, map.Table.ValueBytesPerElement, map.Table.ValueBytesPerElement);
                return;
            }

            if (created)
                NativeMemory.Clear(target, (nuint)map.Table.ValueBytesPerElement); // a new key's other slots and padding start at zero
            Buffer.MemoryCopy(source, target + (long)Math.Max(slot, 0) * stride, map.ValueSize, map.ValueSize);
        }

        public void Removing(int element)
        {
        }
    }

    /// <summary>Copies an element's value (all slots of a per-CPU map) to the host.</summary>
    private readonly struct ValueReader(HashMapBase map, byte* destination) : IHashElementReader
    {
        public void Read(int element)
        {
            int size = map._perCpu ? map.Table.ValueBytesPerElement : map.ValueSize;
            Buffer.MemoryCopy(map.Table.ValueOf(element), destination, size, size);
        }
    }
}
