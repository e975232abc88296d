using System.Diagnostics.CodeAnalysis;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_HASH_OF_MAPS</c>: keys mapped to other maps (the inner maps), which must all
/// match the definition's <see cref="BpfMapDefinition.InnerMap"/> as the kernel requires (same
/// type, key size, value size and flags; for arrays also max_entries, unless the template has
/// <see cref="BpfMapFlags.InnerMap"/>). A program's lookup returns the inner map's handle, which it
/// then passes to map helpers like any map; programs cannot update or delete entries. The host
/// sets entries with <see cref="SetInnerMap"/>; the map holds a reference to each inner map
/// (<see cref="BpfMap.AddReference"/>) while it is in the map, so its memory outlives its entry.
/// </summary>
public sealed unsafe class HashOfMapsMap : BpfMap
{
    private const BpfMapFlags AllowedFlags = BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | BpfMapFlags.ReadOnly
        | BpfMapFlags.WriteOnly | BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram | BpfMapFlags.ZeroSeed;

    private readonly HashTable? _table;
    // The inner map of each element, written under the element's bucket lock.
    private readonly BpfMap?[] _inner = [];

    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for a hash of maps (no inner map template, a value size other than 4...).</exception>
    public HashOfMapsMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        try
        {
            _table = new HashTable(KeySize, MaxEntries, valueBytesPerElement: 0, lru: false, zeroSeed: (Flags & BpfMapFlags.ZeroSeed) != 0);
        }
        catch
        {
            Dispose();
            throw;
        }

        _inner = new BpfMap?[_table.PoolSize];
    }

    /// <summary>The definition every inner map must match.</summary>
    public BpfMapDefinition InnerMap => Definition.InnerMap!;

    /// <summary>The number of keys in the map (exact when no update is under way).</summary>
    public int Count
    {
        get
        {
            ThrowIfDisposed();
            return Table.Count;
        }
    }

    /// <summary>None: programs receive inner maps' handles, never pointers into this map.</summary>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    private HashTable Table => _table!;

    /// <summary>The handle of the inner map at <paramref name="key"/> (which programs use as a map), or 0.</summary>
    public override nint Lookup(nint key, Invocation invocation)
    {
        int element = Table.Find((byte*)key, touch: false);
        return element < 0 ? 0 : (nint)(Volatile.Read(ref _inner[element])?.Handle ?? 0);
    }

    /// <summary>Programs cannot change a map of maps (the kernel's verifier refuses the call): <c>-EINVAL</c>.</summary>
    public override long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation) => -Errno.EINVAL;

    /// <summary>Programs cannot change a map of maps (the kernel's verifier refuses the call): <c>-EINVAL</c>.</summary>
    public override long Delete(nint key, Invocation invocation) => -Errno.EINVAL;

    /// <summary>Puts <paramref name="inner"/> at <paramref name="key"/>, with the kernel's update flags.</summary>
    /// <exception cref="BpfMapException">The inner map does not match the template (EINVAL), or the flags refuse the update (EEXIST, ENOENT), or the map is full (E2BIG).</exception>
    /// <exception cref="ObjectDisposedException">This map or the inner map has been disposed.</exception>
    public void SetInnerMap(ReadOnlySpan<byte> key, BpfMap inner, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(inner);
        ObjectDisposedException.ThrowIf(inner.IsDisposed, inner);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        if ((ulong)flags > (ulong)MapUpdateFlags.Exist)
            throw new BpfMapException(Name, Errno.EINVAL, $"unknown update flags {(ulong)flags:x}");
        if (Mismatch(inner) is { } mismatch)
            throw new BpfMapException(Name, Errno.EINVAL, $"inner map {inner.Name} does not match the template: {mismatch}");

        inner.AddReference();
        var store = new InnerStore(this, inner);
        long result;
        fixed (byte* k = key)
            result = Table.Upsert(k, flags, ref store);
        if (result < 0)
        {
            inner.ReleaseReference();
            throw new BpfMapException(Name, (int)-result, result switch
            {
                -Errno.EEXIST => "the key exists (BPF_NOEXIST)",
                -Errno.ENOENT => "the key does not exist (BPF_EXIST)",
                -Errno.E2BIG => "the map is full",
                _ => "the update was refused",
            });
        }

        store.Previous?.ReleaseReference();
    }

    /// <summary>The inner map at <paramref name="key"/>.</summary>
    /// <returns>False if there is no such key.</returns>
    public bool TryGetInnerMap(ReadOnlySpan<byte> key, [NotNullWhen(true)] out BpfMap? inner)
    {
        ThrowIfDisposed();
        CheckKey(key);
        var reader = new InnerReader(this);
        bool found;
        fixed (byte* k = key)
            found = Table.Read(k, ref reader);
        inner = reader.Inner;
        return found && inner is not null;
    }

    /// <summary>Not for maps of maps: their values are maps (<see cref="TryGetInnerMap"/>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value) =>
        throw new NotSupportedException($"map {Name}: the values of a map of maps are maps; use TryGetInnerMap");

    /// <summary>Not for maps of maps: their values are maps (<see cref="SetInnerMap"/>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        throw new NotSupportedException($"map {Name}: the values of a map of maps are maps; use SetInnerMap");

    /// <inheritdoc/>
    /// <remarks>Drops the map's reference to the inner map.</remarks>
    public override bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        CheckKey(key);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        var store = new InnerStore(this, null);
        bool removed;
        fixed (byte* k = key)
            removed = Table.Remove(k, ref store);
        store.Previous?.ReleaseReference();
        return removed;
    }

    /// <inheritdoc/>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        if (!key.IsEmpty)
            CheckKey(key);
        if (nextKey.Length < KeySize)
            throw new ArgumentException($"map {Name}: the next key buffer must hold {KeySize} bytes, not {nextKey.Length}", nameof(nextKey));
        fixed (byte* k = key)
        fixed (byte* next = nextKey)
            return Table.TryGetNextKey(key.IsEmpty ? null : k, next);
    }

    /// <inheritdoc/>
    /// <remarks>Drops the references to the inner maps still in the map.</remarks>
    protected override void FreeMemory()
    {
        if (_table is null)
            return;
        _table.ForEach(element =>
        {
            Interlocked.Exchange(ref _inner[element], null)?.ReleaseReference();
            return false;
        });
        _table.Free();
    }

    /// <summary>Why <paramref name="inner"/> cannot be an inner map of this map (the kernel's <c>map_meta_equal</c>), or null.</summary>
    private string? Mismatch(BpfMap inner)
    {
        var template = InnerMap;
        if (inner.Type != template.Type)
            return $"type {inner.Type}, not {template.Type}";
        if (inner.KeySize != template.KeySize || inner.ValueSize != template.ValueSize)
            return $"key and value sizes {inner.KeySize} and {inner.ValueSize}, not {template.KeySize} and {template.ValueSize}";
        if (inner.Flags != template.Flags)
            return $"flags {inner.Flags}, not {template.Flags}";
        bool array = template.Type is BpfMapType.Array or BpfMapType.PercpuArray;
        if (array && (template.Flags & BpfMapFlags.InnerMap) == 0 && inner.MaxEntries != template.MaxEntries)
            return $"max_entries {inner.MaxEntries}, not {template.MaxEntries}";
        return null;
    }

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"map {Name}: the key must be {KeySize} bytes, not {key.Length}", nameof(key));
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string name = definition.Name;
        if (definition.Type != BpfMapType.HashOfMaps)
            throw new ArgumentException($"map {name}: a hash of maps cannot be made from a {definition.Type} definition", nameof(definition));
        if (definition.KeySize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {name}: key size and max_entries must be positive", nameof(definition));
        if (definition.ValueSize != sizeof(uint))
            throw new ArgumentException($"map {name}: a map of maps has 4-byte values (map descriptors), not {definition.ValueSize}", nameof(definition));
        if ((definition.Flags & ~AllowedFlags) != 0)
            throw new ArgumentException($"map {name}: flags {definition.Flags & ~AllowedFlags} are not valid for a hash of maps", nameof(definition));
        if (definition.InnerMap is not { } inner)
            throw new ArgumentException($"map {name}: a hash of maps needs an inner map definition", nameof(definition));
        if (inner.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps or BpfMapType.ProgArray)
            throw new ArgumentException($"map {name}: inner maps cannot be {inner.Type} maps", nameof(definition));
        return definition;
    }

    /// <summary>Sets (or clears) an element's inner map, keeping the one it replaces to release after the lock.</summary>
    private struct InnerStore(HashOfMapsMap map, BpfMap? inner) : IHashElementCallbacks
    {
        public BpfMap? Previous { get; private set; }

        public void Store(int element, bool created) => Previous = Interlocked.Exchange(ref map._inner[element], inner);

        public void Removing(int element) => Previous = Interlocked.Exchange(ref map._inner[element], null);
    }

    private struct InnerReader(HashOfMapsMap map) : IHashElementReader
    {
        public BpfMap? Inner { get; private set; }

        public void Read(int element) => Inner = Volatile.Read(ref map._inner[element]);
    }
}
