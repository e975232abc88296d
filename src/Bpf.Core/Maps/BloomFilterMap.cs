using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_BLOOM_FILTER</c>: a set of values without keys that answers "maybe present" or
/// "definitely absent". Push adds a value (sets its bits); peek tests one: 0 when every bit of the
/// value is set, <c>-ENOENT</c> when one is not. Values cannot be removed or listed: programs' pop and
/// delete get <c>-EOPNOTSUPP</c>, their lookup null and update <c>-EINVAL</c>, as in the kernel; the
/// host's delete and key iteration throw <see cref="NotSupportedException"/>.
/// </summary>
/// <remarks>
/// <para>
/// The number of hash functions k is the low 4 bits of <see cref="BpfMapDefinition.MapExtra"/>, 5 when
/// they are 0; other bits of map_extra are invalid. The bit array is sized as the kernel sizes it:
/// <c>max_entries * k / ln 2</c> bits, computed as <c>(max_entries * k / 5) * 7</c>, at least 64 and
/// rounded up to a power of two, and 2^32 bits when that exceeds 2^31 (512 MiB: a huge max_entries
/// costs what it costs in the kernel). The false-positive rate is therefore about the kernel's for
/// the same parameters, though not the same values collide: the hash is this runtime's own.
/// </para>
/// <para>
/// The hash is a 64-bit multiply-rotate mix over the value, 8 bytes at a time, with a seed that is
/// random per map unless the map has <see cref="BpfMapFlags.ZeroSeed"/>. The k bit positions come
/// from the two halves of that one hash by double hashing (<c>h1 + i * h2</c>) instead of the kernel's
/// k separate hashes. Bits are set with atomic ORs, so programs and host threads add and test
/// concurrently without a lock; a value added by one thread is seen by a test that starts after the
/// add returned. The bits live in unmanaged memory that programs never get pointers to
/// (<see cref="ValueRegions"/> is empty).
/// </para>
/// </remarks>
public sealed unsafe class BloomFilterMap : BpfMap
{
    /// <summary>The number of hash functions when map_extra does not say (the kernel's default).</summary>
    public const int DefaultHashCount = 5;

    private const ulong Prime1 = 0x9E37_79B1_85EB_CA87;
    private const ulong Prime2 = 0xC2B2_AE3D_27D4_EB4F;
    private const ulong Prime3 = 0x1656_67B1_9E37_79F9;

    private ulong* _bits;
    private readonly ulong _bitMask;
    private readonly ulong _seed;

    /// <summary>Creates the filter, empty.</summary>
    /// <exception cref="ArgumentException">The key size is not 0, the value size or entry count is not positive, map_extra has bits above the low 4, or the flags are invalid.</exception>
    public BloomFilterMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        HashCount = (int)(definition.MapExtra & 0xF) is var count and not 0 ? count : DefaultHashCount;
        BitCount = SizeBits(definition.MaxEntries, HashCount);
        _bitMask = (ulong)BitCount - 1;
        long words = BitCount / 64;
        _bits = (ulong*)NativeMemory.AlignedAlloc((nuint)(words * sizeof(ulong)), 64);
        NativeMemory.Clear(_bits, (nuint)(words * sizeof(ulong)));
        _seed = (definition.Flags & BpfMapFlags.ZeroSeed) != 0 ? 0 : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong)));
    }

    /// <summary>The number of hash functions (bits set per value).</summary>
    public int HashCount { get; }

    /// <summary>The size of the bit array in bits: a power of two.</summary>
    public long BitCount { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => [];

    /// <summary>The bit array size for <paramref name="maxEntries"/> values and <paramref name="hashCount"/> hash functions, as the kernel computes it.</summary>
    public static long SizeBits(int maxEntries, int hashCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hashCount);
        // The kernel multiplies in 32 bits and falls back to 2^32 bits on overflow or above 2^31.
        ulong bits = (ulong)maxEntries * (ulong)hashCount;
        if (bits > uint.MaxValue)
            return 1L << 32;
        bits = bits / 5 * 7;
        if (bits > uint.MaxValue || bits > 1UL << 31)
            return 1L << 32;
        return bits <= 64 ? 64 : (long)BitOperations.RoundUpToPowerOf2(bits);
    }

    /// <inheritdoc/>
    public override long Push(nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Add(new ReadOnlySpan<byte>((void*)value, ValueSize), flags);
    }

    /// <inheritdoc/>
    public override long Peek(nint value, Invocation invocation) =>
        Test(new ReadOnlySpan<byte>((void*)value, ValueSize)) ? 0 : -Errno.ENOENT;

    /// <inheritdoc/>
    public override long Pop(nint value, Invocation invocation) => -Errno.EOPNOTSUPP;

    /// <inheritdoc/>
    public override long Delete(nint key, Invocation invocation) => -Errno.EOPNOTSUPP;

    /// <summary>Adds <paramref name="value"/> (<see cref="BpfMap.ValueSize"/> bytes) to the set.</summary>
    /// <exception cref="BpfMapException">The map is read-only for the host (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The value is not <see cref="BpfMap.ValueSize"/> bytes.</exception>
    public void Add(ReadOnlySpan<byte> value)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        CheckValueLength(value.Length);
        Add(value, MapUpdateFlags.Any);
    }

    /// <summary>False when <paramref name="value"/> was certainly never added; true when it may have been.</summary>
    /// <exception cref="BpfMapException">The map is write-only for the host (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The value is not <see cref="BpfMap.ValueSize"/> bytes.</exception>
    public bool MayContain(ReadOnlySpan<byte> value)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.WriteOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is write-only for the host");
        CheckValueLength(value.Length);
        return Test(value);
    }

    /// <summary>
    /// The kernel's <c>BPF_MAP_LOOKUP_ELEM</c> on a bloom filter: a membership test of the value in
    /// <paramref name="value"/>, which is read, not written. The key must be empty.
    /// </summary>
    /// <returns>True when the value may be present (<see cref="MayContain"/>).</returns>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckNoKey(key);
        return MayContain(value);
    }

    /// <summary>The kernel's <c>BPF_MAP_UPDATE_ELEM</c> on a bloom filter: adds the value. The key must be empty and the flags <see cref="MapUpdateFlags.Any"/>.</summary>
    /// <exception cref="BpfMapException">The flags are not <see cref="MapUpdateFlags.Any"/> (<c>EINVAL</c>) or the map is read-only (<c>EPERM</c>).</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckNoKey(key);
        if (flags != MapUpdateFlags.Any)
            throw new BpfMapException(Name, Errno.EINVAL, "a bloom filter takes only BPF_ANY");
        Add(value);
    }

    /// <summary>Not supported: values cannot be removed from a bloom filter (the kernel's <c>EOPNOTSUPP</c>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool Delete(ReadOnlySpan<byte> key) => throw Unsupported("delete (the kernel's EOPNOTSUPP)");

    /// <summary>Not supported: a bloom filter has no keys to iterate (the kernel's <c>EOPNOTSUPP</c>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => throw Unsupported("key iteration (the kernel's EOPNOTSUPP)");

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        NativeMemory.AlignedFree(_bits);
        _bits = null;
    }

    private long Add(ReadOnlySpan<byte> value, MapUpdateFlags flags)
    {
        if (flags != MapUpdateFlags.Any)
            return -Errno.EINVAL;
        var (position, step) = Positions(value);
        for (int i = 0; i < HashCount; i++, position += step)
        {
            ulong bit = position & _bitMask;
            ulong mask = 1UL << (int)(bit & 63);
            ref ulong word = ref _bits[bit >> 6];
            if ((Volatile.Read(ref word) & mask) == 0)
                Interlocked.Or(ref word, mask);
        }

        return 0;
    }

    private bool Test(ReadOnlySpan<byte> value)
    {
        var (position, step) = Positions(value);
        for (int i = 0; i < HashCount; i++, position += step)
        {
            ulong bit = position & _bitMask;
            if ((Volatile.Read(ref _bits[bit >> 6]) & (1UL << (int)(bit & 63))) == 0)
                return false;
        }

        return true;
    }

    /// <summary>The first bit position of a value and the step between its positions (odd, so the k positions differ when the array is large enough).</summary>
    private (ulong Position, ulong Step) Positions(ReadOnlySpan<byte> value)
    {
        ulong hash = Hash(value, _seed);
        return (hash, (hash >> 32 | hash << 32) | 1);
    }

    /// <summary>
    /// A 64-bit hash of <paramref name="data"/>: each 8-byte word (the tail zero-padded) is mixed in
    /// with a multiply and a rotate, the length goes in last, and a final xor-shift-multiply cascade
    /// spreads every input bit over the whole result.
    /// </summary>
    private static ulong Hash(ReadOnlySpan<byte> data, ulong seed)
    {
        ulong hash = seed ^ Prime3;
        while (data.Length >= sizeof(ulong))
        {
            hash = Mix(hash, MemoryMarshal.Read<ulong>(data));
            data = data[sizeof(ulong)..];
        }

        if (!data.IsEmpty)
        {
            ulong tail = 0;
            for (int i = 0; i < data.Length; i++)
                tail |= (ulong)data[i] << (8 * i);
            hash = Mix(hash, tail ^ ((ulong)data.Length << 56));
        }

        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        hash ^= hash >> 32;
        return hash;
    }

    private static ulong Mix(ulong hash, ulong word)
    {
        word *= Prime2;
        word = BitOperations.RotateLeft(word, 31);
        word *= Prime1;
        hash ^= word;
        return BitOperations.RotateLeft(hash, 27) * Prime1 + Prime3;
    }

    private void CheckValueLength(int length)
    {
        if (length != ValueSize)
            throw new ArgumentException($"map {Name}: the value must be {ValueSize} bytes, not {length}", "value");
    }

    private void CheckNoKey(ReadOnlySpan<byte> key)
    {
        if (!key.IsEmpty)
            throw new ArgumentException($"map {Name}: a bloom filter has no keys; pass an empty key", nameof(key));
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        const BpfMapFlags allowed = BpfMapFlags.NumaNode | BpfMapFlags.ZeroSeed | BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly
            | BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        const BpfMapFlags bothProgramModes = BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        if (definition.KeySize != 0)
            throw new ArgumentException($"map {definition.Name}: a bloom filter has no key (key size 0, not {definition.KeySize})", nameof(definition));
        if (definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: value size and max_entries must be positive", nameof(definition));
        if ((definition.Flags & ~allowed) != 0 || (definition.Flags & bothProgramModes) == bothProgramModes)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for a bloom filter", nameof(definition));
        if ((definition.MapExtra & ~0xFUL) != 0)
            throw new ArgumentException($"map {definition.Name}: map_extra 0x{definition.MapExtra:x} is invalid: only its low 4 bits (the hash count) may be set", nameof(definition));
        return definition;
    }
}
