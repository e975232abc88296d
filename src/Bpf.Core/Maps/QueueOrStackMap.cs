using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// What <c>BPF_MAP_TYPE_QUEUE</c> (<see cref="QueueMap"/>) and <c>BPF_MAP_TYPE_STACK</c>
/// (<see cref="StackMap"/>) share, as in the kernel: up to <see cref="BpfMap.MaxEntries"/> values
/// without keys in a ring of <c>max_entries + 1</c> slots of unmanaged memory, under one lock. Values
/// go in with push and come out by copy with pop and peek; the two types differ only in which end
/// pop and peek take from. Programs never receive pointers into the ring, so
/// <see cref="ValueRegions"/> is empty.
/// </summary>
/// <remarks>
/// Push on a full map fails with <c>-E2BIG</c>, unless its flags are <c>BPF_EXIST</c>: then the
/// oldest value is dropped to make room, for a stack as for a queue (the kernel's semantics).
/// <c>BPF_NOEXIST</c> and unknown flags give <c>-EINVAL</c>. Pop and peek on an empty map give
/// <c>-ENOENT</c> and zero the destination, as the kernel does. The host's generic operations
/// are those of the kernel's <c>bpf()</c> commands on these maps: lookup peeks, update pushes;
/// delete and key iteration, which the kernel refuses with <c>EINVAL</c>, throw <see cref="NotSupportedException"/>.
/// </remarks>
public abstract unsafe class QueueOrStackMap : BpfMap
{
    private readonly Lock _gate = new();
    private readonly int _slots;
    private byte* _ring;
    // The kernel's ring: head is where the next push goes, tail the oldest value; head == tail is empty.
    private int _head;
    private int _tail;

    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for a queue or stack.</exception>
    private protected QueueOrStackMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        _slots = definition.MaxEntries + 1;
        _ring = (byte*)NativeMemory.AlignedAlloc((nuint)((long)_slots * definition.ValueSize), 8);
    }

    /// <summary>The number of values in the map now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return (_head - _tail + _slots) % _slots;
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <summary>True for a stack (pop and peek take the newest value), false for a queue (the oldest).</summary>
    private protected abstract bool TakesNewest { get; }

    /// <inheritdoc/>
    public override long Push(nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Store(new ReadOnlySpan<byte>((void*)value, ValueSize), flags);
    }

    /// <inheritdoc/>
    public override long Pop(nint value, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Take(new Span<byte>((void*)value, ValueSize), remove: true);
    }

    /// <inheritdoc/>
    public override long Peek(nint value, Invocation invocation) =>
        Take(new Span<byte>((void*)value, ValueSize), remove: false);

    /// <summary>Adds <paramref name="value"/> (<see cref="BpfMap.ValueSize"/> bytes).</summary>
    /// <param name="value">The value.</param>
    /// <param name="flags"><see cref="MapUpdateFlags.Exist"/> drops the oldest value when the map is full; <see cref="MapUpdateFlags.Any"/> refuses then.</param>
    /// <exception cref="BpfMapException">The map is full (<c>E2BIG</c>), the flags are invalid (<c>EINVAL</c>) or the map is read-only (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The value is not <see cref="BpfMap.ValueSize"/> bytes.</exception>
    public void Push(ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        CheckValueLength(value.Length);
        long result = Store(value, flags);
        if (result < 0)
            throw new BpfMapException(Name, (int)-result, result == -Errno.E2BIG ? "the map is full" : "invalid push flags");
    }

    /// <summary>Copies the next value out (the oldest of a queue, the newest of a stack) and removes it.</summary>
    /// <returns>False, with <paramref name="value"/> zeroed, when the map is empty.</returns>
    /// <exception cref="BpfMapException">The host may not read or may not write the map (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The destination is not <see cref="BpfMap.ValueSize"/> bytes.</exception>
    public bool TryPop(Span<byte> value)
    {
        ThrowIfDisposed();
        if ((Flags & (BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly)) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "pop both reads and writes the map, and the host may not do both");
        CheckValueLength(value.Length);
        return Take(value, remove: true) == 0;
    }

    /// <summary>Copies the next value out (the oldest of a queue, the newest of a stack) without removing it.</summary>
    /// <returns>False, with <paramref name="value"/> zeroed, when the map is empty.</returns>
    /// <exception cref="BpfMapException">The map is write-only for the host (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The destination is not <see cref="BpfMap.ValueSize"/> bytes.</exception>
    public bool TryPeek(Span<byte> value)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.WriteOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is write-only for the host");
        CheckValueLength(value.Length);
        return Take(value, remove: false) == 0;
    }

    /// <summary>The kernel's <c>BPF_MAP_LOOKUP_ELEM</c> on these maps: a peek. The key must be empty.</summary>
    /// <returns>False when the map is empty.</returns>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckNoKey(key);
        return TryPeek(value);
    }

    /// <summary>The kernel's <c>BPF_MAP_UPDATE_ELEM</c> on these maps: a push. The key must be empty.</summary>
    /// <exception cref="BpfMapException">As <see cref="Push(ReadOnlySpan{byte}, MapUpdateFlags)"/>.</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckNoKey(key);
        Push(value, flags);
    }

    /// <summary>Not supported: values of queues and stacks have no keys to delete by (the kernel's <c>EINVAL</c>); pop instead.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool Delete(ReadOnlySpan<byte> key) => throw Unsupported("delete by key (the kernel's EINVAL; pop instead)");

    /// <summary>Not supported: queues and stacks have no keys to iterate (the kernel's <c>EINVAL</c>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => throw Unsupported("key iteration (the kernel's EINVAL)");

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        NativeMemory.AlignedFree(_ring);
        _ring = null;
    }

    private long Store(ReadOnlySpan<byte> value, MapUpdateFlags flags)
    {
        if ((flags & MapUpdateFlags.NoExist) != 0 || flags > MapUpdateFlags.Exist)
            return -Errno.EINVAL;
        lock (_gate)
        {
            int next = Advance(_head);
            if (next == _tail)
            {
                if (flags != MapUpdateFlags.Exist)
                    return -Errno.E2BIG;
                _tail = Advance(_tail); // drop the oldest value to make room
            }

            value.CopyTo(Slot(_head));
            _head = next;
            return 0;
        }
    }

    private long Take(Span<byte> value, bool remove)
    {
        lock (_gate)
        {
            if (_head == _tail)
            {
                value.Clear();
                return -Errno.ENOENT;
            }

            if (TakesNewest)
            {
                int newest = _head == 0 ? _slots - 1 : _head - 1;
                Slot(newest).CopyTo(value);
                if (remove)
                    _head = newest;
            }
            else
            {
                Slot(_tail).CopyTo(value);
                if (remove)
                    _tail = Advance(_tail);
            }

            return 0;
        }
    }

    private int Advance(int index) => index + 1 == _slots ? 0 : index + 1;

    private Span<byte> Slot(int index) => new(_ring + (long)index * ValueSize, ValueSize);

    private void CheckValueLength(int length)
    {
        if (length != ValueSize)
            throw new ArgumentException($"map {Name}: the value must be {ValueSize} bytes, not {length}", "value");
    }

    private void CheckNoKey(ReadOnlySpan<byte> key)
    {
        if (!key.IsEmpty)
            throw new ArgumentException($"map {Name}: {Type} has no keys; pass an empty key", nameof(key));
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        const BpfMapFlags allowed = BpfMapFlags.NumaNode | BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly
            | BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        if (definition.KeySize != 0)
            throw new ArgumentException($"map {definition.Name}: a {definition.Type} has no key (key size 0, not {definition.KeySize})", nameof(definition));
        if (definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: value size and max_entries must be positive", nameof(definition));
        const BpfMapFlags bothProgramModes = BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        if ((definition.Flags & ~allowed) != 0 || (definition.Flags & bothProgramModes) == bothProgramModes)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for a {definition.Type}", nameof(definition));
        if ((long)(definition.MaxEntries + 1L) * definition.ValueSize > int.MaxValue)
            throw new ArgumentException($"map {definition.Name}: {definition.MaxEntries} values of {definition.ValueSize} bytes are too large", nameof(definition));
        return definition;
    }
}
