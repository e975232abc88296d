using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_ARRAY_OF_MAPS</c>: <see cref="BpfMap.MaxEntries"/> slots indexed by a 32-bit key,
/// each empty or holding an inner map that matches the template <see cref="BpfMapDefinition.InnerMap"/>.
/// A program's lookup returns the inner map's <see cref="BpfMap.Handle"/> (0 for an empty slot), which
/// the program passes to map helpers as it would a map it loaded with <c>lddw</c>.
/// </summary>
/// <remarks>
/// <para>
/// The host stores maps with <see cref="SetInnerMap"/>, which checks them as the kernel's map-in-map
/// compatibility check does (<see cref="Incompatibility"/>) and keeps each stored map's memory alive
/// (<see cref="BpfMap.AddReference"/>) until it is replaced or removed or the outer map's memory is
/// freed. The generic host update and lookup, which take and give map descriptors and ids in the
/// kernel, are not supported: use <see cref="SetInnerMap"/> and <see cref="InnerMapAt"/>. Deleting a key
/// empties its slot. Programs may only look up (the kernel's verifier rejects the other helpers):
/// update and delete give <c>-EINVAL</c>.
/// </para>
/// <para>
/// Unlike the kernel, where the outer map's reference keeps an inner map usable after user space
/// closed it, disposing an inner map here ends its handle at once: a program then finds its slot
/// empty. And the kernel releases a removed inner map only after every program that might hold a
/// pointer into it has finished (an RCU grace period); here the reference is dropped at once, so a
/// host that removes an inner map and disposes it must not do so while programs are using it.
/// </para>
/// </remarks>
public sealed class ArrayOfMapsMap : BpfMap
{
    private readonly BpfMap?[] _maps;

    /// <summary>Creates the array, every slot empty.</summary>
    /// <exception cref="ArgumentException">
    /// The key or value is not 4 bytes, the entry count is not positive, the flags are invalid, or the
    /// inner-map template is missing or of a type that cannot be an inner map.
    /// </exception>
    public ArrayOfMapsMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        InnerMap = definition.InnerMap!;
        _maps = new BpfMap?[definition.MaxEntries];
    }

    /// <summary>The template every inner map must match.</summary>
    public BpfMapDefinition InnerMap { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <summary>The inner map's handle for the index at <paramref name="key"/>, or 0 when the slot is empty or out of range.</summary>
    public override unsafe nint Lookup(nint key, Invocation invocation)
    {
        uint index = *(uint*)key;
        if (index >= (uint)_maps.Length || Volatile.Read(ref _maps[index]) is not { IsDisposed: false } inner)
            return 0;
        return (nint)inner.Handle;
    }

    /// <summary>
    /// Why <paramref name="inner"/> cannot be stored in a map-in-map whose template is
    /// <paramref name="template"/>, or null when it can. As the kernel's check: the type, key size,
    /// value size and flags must equal the template's, and for arrays (<see cref="BpfMapType.Array"/>)
    /// also max_entries, unless the template has <see cref="BpfMapFlags.InnerMap"/>.
    /// </summary>
    public static string? Incompatibility(BpfMapDefinition template, BpfMap inner)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(inner);
        if (inner.Type != template.Type)
            return $"its type is {inner.Type}, not {template.Type}";
        if (inner.KeySize != template.KeySize)
            return $"its key size is {inner.KeySize}, not {template.KeySize}";
        if (inner.ValueSize != template.ValueSize)
            return $"its value size is {inner.ValueSize}, not {template.ValueSize}";
        if (inner.Flags != template.Flags)
            return $"its flags are {inner.Flags}, not {template.Flags}";
        if (template.Type == BpfMapType.Array && (template.Flags & BpfMapFlags.InnerMap) == 0 && inner.MaxEntries != template.MaxEntries)
            return $"its max_entries is {inner.MaxEntries}, not {template.MaxEntries} (give the template BPF_F_INNER_MAP to allow any)";
        return null;
    }

    /// <summary>Stores <paramref name="inner"/> in slot <paramref name="index"/>, or empties the slot when it is null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not below <see cref="BpfMap.MaxEntries"/>.</exception>
    /// <exception cref="BpfMapException">
    /// The map does not match <see cref="InnerMap"/> (<c>EINVAL</c>), or the outer map is read-only for the host (<c>EPERM</c>).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The inner map has been disposed.</exception>
    public void SetInnerMap(int index, BpfMap? inner)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        if (inner is not null)
        {
            ObjectDisposedException.ThrowIf(inner.IsDisposed, inner);
            if (Incompatibility(InnerMap, inner) is { } reason)
                throw new BpfMapException(Name, Errno.EINVAL, $"map {inner.Name} cannot be an inner map: {reason}");
            inner.AddReference();
        }

        Interlocked.Exchange(ref _maps[index], inner)?.ReleaseReference();
    }

    /// <summary>The map in slot <paramref name="index"/>, or null when the slot is empty.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not below <see cref="BpfMap.MaxEntries"/>.</exception>
    public BpfMap? InnerMapAt(int index)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        return Volatile.Read(ref _maps[index]);
    }

    /// <summary>Not supported: the kernel's lookup gives a map id, which this runtime does not have. Use <see cref="InnerMapAt"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value) => throw Unsupported("lookup by key (use InnerMapAt)");

    /// <summary>Not supported: the kernel's update takes a map file descriptor. Use <see cref="SetInnerMap"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        throw Unsupported("update with a map descriptor (use SetInnerMap)");

    /// <summary>Empties the slot of <paramref name="key"/>, as the kernel's <c>BPF_MAP_DELETE_ELEM</c>.</summary>
    /// <returns>False if the slot was already empty.</returns>
    /// <exception cref="BpfMapException">The index is out of range (<c>E2BIG</c>), or the map is read-only for the host (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The key is not 4 bytes.</exception>
    public override bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        uint index = ReadKey(key);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        if (index >= (uint)MaxEntries)
            throw new BpfMapException(Name, Errno.E2BIG, "the index is out of range");
        var old = Interlocked.Exchange(ref _maps[index], null);
        old?.ReleaseReference();
        return old is not null;
    }

    /// <summary>Every index in order, empty slots included, as the kernel iterates arrays.</summary>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        uint next = key.IsEmpty || ReadKey(key) >= (uint)MaxEntries ? 0 : ReadKey(key) + 1;
        if (next >= (uint)MaxEntries)
            return false;
        MemoryMarshal.Write(nextKey, next);
        return true;
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        for (int i = 0; i < _maps.Length; i++)
            Interlocked.Exchange(ref _maps[i], null)?.ReleaseReference();
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
        const BpfMapFlags allowed = BpfMapFlags.NumaNode | BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly;
        if (definition.KeySize != sizeof(uint) || definition.ValueSize != sizeof(uint))
            throw new ArgumentException($"map {definition.Name}: an array of maps' key and value must be 4 bytes, not {definition.KeySize} and {definition.ValueSize}", nameof(definition));
        if (definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: max_entries must be positive", nameof(definition));
        if ((definition.Flags & ~allowed) != 0)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for an array of maps", nameof(definition));
        if (definition.InnerMap is not { } template)
            throw new ArgumentException($"map {definition.Name}: an array of maps needs an inner-map template", nameof(definition));
        // The kernel refuses more than one level of maps in maps, and program arrays, whose
        // programs' types are bound at run time (they have no compatibility check).
        if (template.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps or BpfMapType.ProgArray)
            throw new ArgumentException($"map {definition.Name}: a {template.Type} cannot be an inner map", nameof(definition));
        return definition;
    }
}
