using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// A map: keys and values in pinned unmanaged memory, shared by programs and the host, safe when
/// many programs and host threads use it at once. Programs reach it through helpers with its
/// <see cref="Handle"/> and raw pointers (the "program" operations, with the kernel's semantics and
/// negative errno results); the host uses the span-based operations, which copy.
/// </summary>
/// <remarks>
/// Values that programs receive pointers to live in the regions of <see cref="ValueRegions"/>, apart
/// from the map's own bookkeeping, so that an unverified program in checked mode can scribble on
/// values but never on the structure of the map. The unmanaged memory is freed when the map is
/// disposed and no prepared program still references it (<see cref="AddReference"/>).
/// </remarks>
public abstract class BpfMap : IDisposable
{
    private int _references = 1;
    private int _disposed;

    /// <summary>Creates the map and gives it a handle.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for the map type.</exception>
    protected BpfMap(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition = definition;
        Handle = MapHandles.Register(this);
    }

    /// <summary>What the map is.</summary>
    public BpfMapDefinition Definition { get; }

    /// <summary>The map's name.</summary>
    public string Name => Definition.Name;

    /// <summary>The map type.</summary>
    public BpfMapType Type => Definition.Type;

    /// <summary>The key size in bytes.</summary>
    public int KeySize => Definition.KeySize;

    /// <summary>The value size in bytes.</summary>
    public int ValueSize => Definition.ValueSize;

    /// <summary>The maximum number of entries.</summary>
    public int MaxEntries => Definition.MaxEntries;

    /// <summary>Creation flags.</summary>
    public BpfMapFlags Flags => Definition.Flags;

    /// <summary>
    /// The value a program holds for this map: what <c>lddw rN, map</c> loads and what helpers
    /// receive as the map argument. Not a pointer; see <see cref="FromHandle"/>.
    /// </summary>
    public ulong Handle { get; }

    /// <summary>True once the host disposed the map.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// The size of one value as the host sees it: <see cref="ValueSize"/>, or for per-CPU maps the
    /// values of every CPU slot, each rounded up to 8 bytes, as the kernel's user-space API does.
    /// </summary>
    public virtual int HostValueSize => ValueSize;

    /// <summary>The memory that holds values programs may receive pointers to (checked mode lets programs touch it).</summary>
    public abstract IReadOnlyList<MemoryRegion> ValueRegions { get; }

    /// <summary>The live map a program's map value stands for, or null when it is not one.</summary>
    public static BpfMap? FromHandle(ulong handle) => MapHandles.Find(handle);

    // Operations of programs (through helpers): raw pointers, kernel semantics, errors as negative errno.
    // The invocation gives the CPU slot of per-CPU maps and the regions checked mode must learn of.

    /// <summary><c>bpf_map_lookup_elem</c>: a pointer to the value for the key at <paramref name="key"/>, or 0.</summary>
    public virtual nint Lookup(nint key, Invocation invocation) => 0;

    /// <summary><c>bpf_map_update_elem</c>: 0, or a negative errno.</summary>
    public virtual long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation) => -Errno.EINVAL;

    /// <summary><c>bpf_map_delete_elem</c>: 0, or a negative errno.</summary>
    public virtual long Delete(nint key, Invocation invocation) => -Errno.EINVAL;

    /// <summary><c>bpf_map_push_elem</c> (queues, stacks, bloom filters): 0, or a negative errno.</summary>
    public virtual long Push(nint value, MapUpdateFlags flags, Invocation invocation) => -Errno.EINVAL;

    /// <summary><c>bpf_map_pop_elem</c>: copies the value out and removes it; 0, or a negative errno.</summary>
    public virtual long Pop(nint value, Invocation invocation) => -Errno.EINVAL;

    /// <summary><c>bpf_map_peek_elem</c> (and a bloom filter's membership test): 0, or a negative errno.</summary>
    public virtual long Peek(nint value, Invocation invocation) => -Errno.EINVAL;

    /// <summary><c>bpf_map_lookup_percpu_elem</c>: the value of CPU slot <paramref name="cpu"/>, or 0.</summary>
    public virtual nint LookupOnCpu(nint key, uint cpu, Invocation invocation) => 0;

    /// <summary>
    /// <c>bpf_for_each_map_elem</c>: calls <paramref name="visit"/> with pointers to each key and
    /// value until it returns non-zero; returns how many elements it visited, or a negative errno.
    /// </summary>
    public virtual long ForEach(Func<nint, nint, ulong> visit, Invocation invocation) => -Errno.EINVAL;

    /// <summary>
    /// The address programs get for a direct reference to the map's value (<c>lddw</c> of a map
    /// value: global variables), as the kernel's <c>map_direct_value_addr</c>; only single-element
    /// arrays have one.
    /// </summary>
    public virtual bool TryGetDirectValueAddress(out nint address)
    {
        address = 0;
        return false;
    }

    /// <summary>
    /// For arenas: the start of the arena's 4 GiB-aligned address range, whose upper 32 bits
    /// <c>addr_space_cast</c> puts on a 32-bit arena offset; 0 for other maps.
    /// </summary>
    public virtual ulong ArenaBase => 0;

    /// <summary>For program arrays (<c>bpf_tail_call</c>): the program in slot <paramref name="index"/>, or null.</summary>
    public virtual ProgramImage? TailCallTarget(ulong index) => null;

    // Operations of the host: spans, copies, exceptions.

    /// <summary>Copies the value for <paramref name="key"/> into <paramref name="value"/> (<see cref="HostValueSize"/> bytes).</summary>
    /// <returns>False if there is no such key.</returns>
    public virtual bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value) => throw Unsupported("lookup");

    /// <summary>Sets the value for <paramref name="key"/>.</summary>
    /// <exception cref="BpfMapException">The kernel would refuse the update (full, exists, does not exist, read-only...).</exception>
    public virtual void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any) => throw Unsupported("update");

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>False if there was no such key.</returns>
    public virtual bool Delete(ReadOnlySpan<byte> key) => throw Unsupported("delete");

    /// <summary>
    /// The key after <paramref name="key"/> in the map's order, or the first key when
    /// <paramref name="key"/> is empty, as the kernel's <c>BPF_MAP_GET_NEXT_KEY</c>.
    /// </summary>
    /// <returns>False when there is no next key.</returns>
    public virtual bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => throw Unsupported("iteration");

    /// <summary>Every key, in the order of <see cref="TryGetNextKey"/>; entries changed meanwhile may or may not appear.</summary>
    public IEnumerable<byte[]> Keys
    {
        get
        {
            var key = Array.Empty<byte>();
            var next = new byte[KeySize];
            while (TryGetNextKey(key, next))
            {
                yield return (byte[])next.Clone();
                key = (byte[])next.Clone();
            }
        }
    }

    /// <summary>
    /// A typed view of a keyed map for the host: <typeparamref name="TKey"/> and <typeparamref name="TValue"/>
    /// must be exactly <see cref="KeySize"/> and <see cref="ValueSize"/> bytes. Per-CPU maps have
    /// <see cref="AsPerCpuHash{TKey, TValue}"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match, the map has no keys, or it is a per-CPU map.</exception>
    public HashView<TKey, TValue> AsHash<TKey, TValue>()
        where TKey : unmanaged
        where TValue : unmanaged => new(this);

    /// <summary>
    /// A typed view of a per-CPU map (hash or array) for the host, each value one
    /// <typeparamref name="TValue"/> per CPU slot: <typeparamref name="TKey"/> and
    /// <typeparamref name="TValue"/> must be exactly <see cref="KeySize"/> and <see cref="ValueSize"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match, or the map is not a per-CPU map.</exception>
    public PerCpuHashView<TKey, TValue> AsPerCpuHash<TKey, TValue>()
        where TKey : unmanaged
        where TValue : unmanaged => new(this);

    /// <summary>True for the map types that keep one value per CPU slot (<see cref="HostValueSize"/> holds all of them).</summary>
    public bool IsPerCpuType => Type is BpfMapType.PercpuHash or BpfMapType.LruPercpuHash or BpfMapType.PercpuArray or BpfMapType.PercpuCgroupStorage;

    // Batches, as BPF_MAP_*_BATCH: elements in order, stopping at the first failure, which the kernel
    // reports as the error together with the count of elements done.

    /// <summary>
    /// Looks up <paramref name="keys"/> (<see cref="KeySize"/> bytes each, back to back) in order,
    /// copying each value to <paramref name="values"/> (<see cref="HostValueSize"/> bytes each), until
    /// a key is missing or refused.
    /// </summary>
    /// <param name="keys">The keys, back to back.</param>
    /// <param name="values">Room for as many values, back to back.</param>
    /// <param name="errno">0 when every key was found; else why the first one that failed did (<c>ENOENT</c> for a missing key).</param>
    /// <returns>The number of keys looked up before the first failure (all of them when none failed).</returns>
    /// <exception cref="ArgumentException">The buffers are not whole numbers of keys and values, or do not agree.</exception>
    public int LookupBatch(ReadOnlySpan<byte> keys, Span<byte> values, out int errno)
    {
        int count = BatchCount(keys, values.Length);
        errno = 0;
        for (int i = 0; i < count; i++)
        {
            try
            {
                if (!TryLookup(keys.Slice(i * KeySize, KeySize), values.Slice(i * HostValueSize, HostValueSize)))
                {
                    errno = Errno.ENOENT;
                    return i;
                }
            }
            catch (BpfMapException error)
            {
                errno = error.Errno;
                return i;
            }
        }

        return count;
    }

    /// <summary>
    /// Updates <paramref name="keys"/> in order with <paramref name="values"/> (<see cref="HostValueSize"/>
    /// bytes each) and <paramref name="flags"/>, until an update is refused.
    /// </summary>
    /// <param name="keys">The keys, back to back.</param>
    /// <param name="values">As many values, back to back.</param>
    /// <param name="flags">The flags of every update.</param>
    /// <param name="errno">0 when every update was made; else why the first refused one was (<c>EEXIST</c>, <c>ENOENT</c>, <c>E2BIG</c>, ...).</param>
    /// <returns>The number of updates made before the first refusal (all of them when none was refused).</returns>
    /// <exception cref="ArgumentException">The buffers are not whole numbers of keys and values, or do not agree.</exception>
    public int UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, MapUpdateFlags flags, out int errno)
    {
        int count = BatchCount(keys, values.Length);
        errno = 0;
        for (int i = 0; i < count; i++)
        {
            try
            {
                Update(keys.Slice(i * KeySize, KeySize), values.Slice(i * HostValueSize, HostValueSize), flags);
            }
            catch (BpfMapException error)
            {
                errno = error.Errno;
                return i;
            }
        }

        return count;
    }

    /// <summary>Deletes <paramref name="keys"/> in order, until a key is missing or the deletion is refused.</summary>
    /// <param name="keys">The keys, back to back.</param>
    /// <param name="errno">0 when every key was deleted; else why the first failure happened (<c>ENOENT</c> for a missing key).</param>
    /// <returns>The number of keys deleted before the first failure (all of them when none failed).</returns>
    /// <exception cref="ArgumentException">The buffer is not a whole number of keys.</exception>
    public int DeleteBatch(ReadOnlySpan<byte> keys, out int errno)
    {
        int count = BatchCount(keys, null);
        errno = 0;
        for (int i = 0; i < count; i++)
        {
            try
            {
                if (!Delete(keys.Slice(i * KeySize, KeySize)))
                {
                    errno = Errno.ENOENT;
                    return i;
                }
            }
            catch (BpfMapException error)
            {
                errno = error.Errno;
                return i;
            }
        }

        return count;
    }

    /// <summary>The number of elements in a batch, after checking that the buffers hold whole keys and values that agree.</summary>
    private int BatchCount(ReadOnlySpan<byte> keys, int? valuesLength)
    {
        ThrowIfDisposed();
        if (KeySize <= 0)
            throw new ArgumentException($"map {Name} ({Type}) has no keys", nameof(keys));
        if (keys.Length % KeySize != 0)
            throw new ArgumentException($"map {Name}: {keys.Length} bytes are not a whole number of {KeySize}-byte keys", nameof(keys));
        int count = keys.Length / KeySize;
        if (valuesLength is { } length && length != (long)count * HostValueSize)
            throw new ArgumentException($"map {Name}: {count} keys need {(long)count * HostValueSize} bytes of values, not {length}", "values");
        return count;
    }

    /// <summary>Keeps the map's memory alive for a prepared program until <see cref="ReleaseReference"/>.</summary>
    public void AddReference()
    {
        while (true)
        {
            int count = Volatile.Read(ref _references);
            if (count == 0)
                throw new ObjectDisposedException(Name, "the map's memory has been freed");
            if (Interlocked.CompareExchange(ref _references, count + 1, count) == count)
                return;
        }
    }

    /// <summary>Drops a reference taken with <see cref="AddReference"/>; the last one frees the memory.</summary>
    public void ReleaseReference()
    {
        if (Interlocked.Decrement(ref _references) == 0)
            FreeMemory();
    }

    /// <summary>
    /// Disposes the map: its handle stops working at once, and its memory is freed once no
    /// prepared program references it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        MapHandles.Unregister(Handle);
        ReleaseReference();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the unmanaged memory; called once, when the last reference is gone.</summary>
    protected abstract void FreeMemory();

    /// <summary>Throws if the map has been disposed (host operations call this first).</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>The exception for an operation this map type does not have.</summary>
    protected NotSupportedException Unsupported(string operation) =>
        new($"map {Name} ({Type}) does not support {operation}");

    /// <inheritdoc/>
    public override string ToString() => Definition.ToString();
}
