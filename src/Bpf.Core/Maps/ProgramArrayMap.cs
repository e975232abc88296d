using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_PROG_ARRAY</c>: <see cref="BpfMap.MaxEntries"/> slots, each empty or holding a
/// program, that <c>bpf_tail_call(ctx, map, index)</c> jumps to (<see cref="TailCallTarget"/>).
/// </summary>
/// <remarks>
/// <para>
/// In the kernel user space stores a program by writing its file descriptor into a slot; here the
/// host stores the <see cref="ProgramImage"/> itself with <see cref="SetProgram"/>, and engines prepare
/// it on first tail call with the caller's engine and options. The generic host update, which would
/// take a descriptor, is therefore not supported, nor is the generic lookup, which would return a
/// program id: use <see cref="ProgramAt"/>. Deleting a key empties its slot, as the kernel's delete does.
/// </para>
/// <para>
/// Programs reach a program array only through <c>bpf_tail_call</c>: the kernel's verifier rejects
/// the map helpers on it, and here lookup returns null and update and delete <c>-EINVAL</c>.
/// As in the kernel, every program stored must be of the same type as the first one ever stored
/// (same kind and context), since a tail call hands the caller's context on unchanged. The slots
/// are managed references, read with one volatile load per tail call; there is no unmanaged memory
/// and nothing programs may point into. Once the map is disposed, tail calls through it find no
/// program (its handle is dead), and its slots are emptied when the last prepared program that
/// references it lets go, so stored programs do not outlive it.
/// </para>
/// </remarks>
public sealed class ProgramArrayMap : BpfMap
{
    private readonly ProgramImage?[] _programs;
    private readonly Lock _gate = new();
    private ProgramType? _owner;

    /// <summary>Creates the array, every slot empty.</summary>
    /// <exception cref="ArgumentException">The key or value is not 4 bytes, the entry count is not positive, or the flags are invalid.</exception>
    public ProgramArrayMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        _programs = new ProgramImage?[definition.MaxEntries];
    }

    /// <summary>The program type every stored program must have: that of the first program stored, or null before.</summary>
    public ProgramType? OwnerType
    {
        get
        {
            lock (_gate)
                return _owner;
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <inheritdoc/>
    public override ProgramImage? TailCallTarget(ulong index) =>
        index < (ulong)_programs.Length ? Volatile.Read(ref _programs[index]) : null;

    /// <summary>Stores <paramref name="program"/> in slot <paramref name="index"/>, or empties the slot when it is null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not below <see cref="BpfMap.MaxEntries"/>.</exception>
    /// <exception cref="BpfMapException">
    /// The program's type differs from <see cref="OwnerType"/> (<c>EINVAL</c>), or the map is read-only for the host (<c>EPERM</c>).
    /// </exception>
    public void SetProgram(int index, ProgramImage? program)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        lock (_gate)
        {
            if (program is not null)
            {
                if (_owner is null)
                    _owner = program.Type;
                else if (!Compatible(_owner, program.Type))
                    throw new BpfMapException(Name, Errno.EINVAL, $"program {program.Name} is of type {program.Type}, but the array holds programs of type {_owner}");
            }

            Volatile.Write(ref _programs[index], program);
        }
    }

    /// <summary>The program in slot <paramref name="index"/>, or null when the slot is empty.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not below <see cref="BpfMap.MaxEntries"/>.</exception>
    public ProgramImage? ProgramAt(int index)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        return Volatile.Read(ref _programs[index]);
    }

    /// <summary>Not supported: the kernel's lookup gives a program id, which this runtime does not have. Use <see cref="ProgramAt"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value) => throw Unsupported("lookup by key (use ProgramAt)");

    /// <summary>Not supported: the kernel's update takes a program file descriptor. Use <see cref="SetProgram"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        throw Unsupported("update with a program descriptor (use SetProgram)");

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
        return Interlocked.Exchange(ref _programs[index], null) is not null;
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
    protected override void FreeMemory() => Array.Clear(_programs);

    /// <summary>Whether programs of types <paramref name="a"/> and <paramref name="b"/> can share an array: the same kind and the same context.</summary>
    private static bool Compatible(ProgramType a, ProgramType b) =>
        ReferenceEquals(a, b) || (a.Kind == b.Kind && ReferenceEquals(a.Context, b.Context));

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
            throw new ArgumentException($"map {definition.Name}: a program array's key and value must be 4 bytes, not {definition.KeySize} and {definition.ValueSize}", nameof(definition));
        if (definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: max_entries must be positive", nameof(definition));
        if ((definition.Flags & ~allowed) != 0)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for a program array", nameof(definition));
        return definition;
    }
}
