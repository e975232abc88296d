using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_LPM_TRIE</c>: values stored under prefixes, found by longest-prefix match. A key
/// is <c>struct bpf_lpm_trie_key { u32 prefixlen; u8 data[]; }</c>: a prefix length in host byte
/// order and 1 to 256 bytes of data whose bits count from the most significant bit of
/// <c>data[0]</c> (network order: an IPv4 address is 4 bytes, as on the wire).
/// </summary>
/// <remarks>
/// <para>
/// The kernel's semantics: the map must be created with <see cref="BpfMapFlags.NoPrealloc"/>
/// (the kernel refuses it otherwise with <c>EINVAL</c>; here the constructor throws). A lookup with
/// prefix length p finds the stored prefix that matches the most leading bits of the key among those
/// no longer than p (a lookup with p greater than the data's bits finds nothing). An update stores the
/// exact prefix: <c>-EINVAL</c> for a prefix longer than the data or flags beyond <c>BPF_EXIST</c>,
/// <c>-EEXIST</c> with <c>BPF_NOEXIST</c> on a stored prefix, <c>-ENOENT</c> with <c>BPF_EXIST</c> on an
/// absent one, <c>-ENOSPC</c> when <see cref="BpfMap.MaxEntries"/> prefixes are stored (and
/// <c>-ENOMEM</c> if memory for the value cannot be had). A delete
/// removes the exact prefix or gives <c>-ENOENT</c>. The key data's bits past the prefix are kept
/// and come back from iteration, as in the kernel. Iteration (<see cref="TryGetNextKey"/>) is the
/// kernel's post-order: more specific prefixes before the prefixes that contain them, the 0 side of
/// each split before the 1 side; a key that is not stored restarts from the first. Programs cannot
/// iterate the trie (<c>bpf_for_each_map_elem</c> is not available for tries in the kernel either).
/// </para>
/// <para>
/// Concurrency: updates and deletes, from programs or the host, take a lock; lookups take none. The
/// trie's nodes are managed objects, immutable but for their child links, which updates publish
/// with volatile writes after building the new nodes, as the kernel's trie publishes under RCU; a
/// lookup beside an update sees the trie before or after it. Values live apart from the nodes in
/// unmanaged chunks that are freed only with the map (<see cref="LpmTrieValues"/>): a replaced or
/// deleted value's memory is reused only after a grace period of a second (sooner only when the trie
/// is churned faster than its memory bound allows), so value pointers programs hold stay valid and
/// keep their value meanwhile. Checked mode lets programs touch the values, not the trie.
/// </para>
/// </remarks>
public sealed unsafe class LpmTrieMap : BpfMap
{
    /// <summary>The size of <c>prefixlen</c> at the start of a key.</summary>
    public const int PrefixLengthSize = sizeof(uint);

    /// <summary>The most key data bytes the kernel allows (<c>LPM_DATA_SIZE_MAX</c>).</summary>
    public const int MaxDataSize = 256;

    private readonly Lock _gate = new();
    private readonly LpmTrieValues _values;
    private LpmTrieNode? _root;
    private int _count;
    private bool _freed;

    /// <summary>Creates the trie, empty.</summary>
    /// <exception cref="ArgumentException">
    /// The definition lacks <see cref="BpfMapFlags.NoPrealloc"/>, has other invalid flags, a key that is
    /// not 4 bytes plus 1 to 256 bytes of data, a value size that is not positive, or no entries.
    /// </exception>
    public LpmTrieMap(BpfMapDefinition definition)
        : base(Validate(definition))
    {
        DataSize = definition.KeySize - PrefixLengthSize;
        _values = new LpmTrieValues(definition.ValueSize, definition.MaxEntries, writable: (definition.Flags & BpfMapFlags.ReadOnlyProgram) == 0);
    }

    /// <summary>The number of key data bytes.</summary>
    public int DataSize { get; }

    /// <summary>The longest prefix the trie stores: the key data's bits.</summary>
    public int MaxPrefixLength => DataSize * 8;

    /// <summary>The number of prefixes stored.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc/>
    public override IReadOnlyList<MemoryRegion> ValueRegions => _values.Regions;

    /// <summary>
    /// A key: <paramref name="prefixLength"/> in host order followed by <paramref name="data"/>,
    /// zero-padded to <see cref="DataSize"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The data is longer than <see cref="DataSize"/>.</exception>
    public byte[] Key(uint prefixLength, ReadOnlySpan<byte> data)
    {
        if (data.Length > DataSize)
            throw new ArgumentException($"map {Name}: key data has {DataSize} bytes, not {data.Length}", nameof(data));
        var key = new byte[KeySize];
        MemoryMarshal.Write(key, prefixLength);
        data.CopyTo(key.AsSpan(PrefixLengthSize));
        return key;
    }

    /// <inheritdoc/>
    public override nint Lookup(nint key, Invocation invocation) =>
        Find(new ReadOnlySpan<byte>((void*)key, KeySize))?.Value ?? 0;

    /// <inheritdoc/>
    public override long Update(nint key, nint value, MapUpdateFlags flags, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Store(new ReadOnlySpan<byte>((void*)key, KeySize), new ReadOnlySpan<byte>((void*)value, ValueSize), flags);
    }

    /// <inheritdoc/>
    public override long Delete(nint key, Invocation invocation)
    {
        if ((Flags & BpfMapFlags.ReadOnlyProgram) != 0)
            return -Errno.EPERM;
        return Remove(new ReadOnlySpan<byte>((void*)key, KeySize));
    }

    /// <summary>Copies the value of the longest stored prefix that matches <paramref name="key"/> into <paramref name="value"/>.</summary>
    /// <returns>False when no stored prefix matches.</returns>
    /// <exception cref="ArgumentException">The key is not <see cref="BpfMap.KeySize"/> bytes or the value not <see cref="BpfMap.ValueSize"/>.</exception>
    public override bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        ThrowIfDisposed();
        CheckKeyLength(key.Length);
        if (value.Length != ValueSize)
            throw new ArgumentException($"map {Name}: the value must be {ValueSize} bytes, not {value.Length}", nameof(value));
        if (Find(key) is not { } node)
            return false;
        new ReadOnlySpan<byte>((void*)node.Value, ValueSize).CopyTo(value);
        return true;
    }

    /// <summary>Stores <paramref name="value"/> under the exact prefix <paramref name="key"/>.</summary>
    /// <exception cref="BpfMapException">
    /// The prefix is longer than the data or the flags are invalid (<c>EINVAL</c>), the prefix exists and
    /// the flags are <see cref="MapUpdateFlags.NoExist"/> (<c>EEXIST</c>), it does not exist and they are
    /// <see cref="MapUpdateFlags.Exist"/> (<c>ENOENT</c>), the trie is full (<c>ENOSPC</c>), or it is read-only for the host (<c>EPERM</c>).
    /// </exception>
    /// <exception cref="ArgumentException">The key or value has the wrong size.</exception>
    public override void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        CheckKeyLength(key.Length);
        if (value.Length != ValueSize)
            throw new ArgumentException($"map {Name}: the value must be {ValueSize} bytes, not {value.Length}", nameof(value));
        long result = Store(key, value, flags);
        if (result < 0)
        {
            throw new BpfMapException(Name, (int)-result, (int)-result switch
            {
                Errno.EEXIST => "the prefix is stored already",
                Errno.ENOENT => "the prefix is not stored",
                Errno.ENOSPC => $"the trie holds max_entries ({MaxEntries}) prefixes",
                Errno.ENOMEM => "out of memory for the value",
                _ => $"invalid flags or a prefix longer than {MaxPrefixLength} bits",
            });
        }
    }

    /// <summary>Removes the exact prefix <paramref name="key"/>.</summary>
    /// <returns>False if it was not stored.</returns>
    /// <exception cref="BpfMapException">The prefix is longer than the data (<c>EINVAL</c>), or the map is read-only for the host (<c>EPERM</c>).</exception>
    /// <exception cref="ArgumentException">The key is not <see cref="BpfMap.KeySize"/> bytes.</exception>
    public override bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        if ((Flags & BpfMapFlags.ReadOnly) != 0)
            throw new BpfMapException(Name, Errno.EPERM, "the map is read-only for the host");
        CheckKeyLength(key.Length);
        long result = Remove(key);
        if (result == -Errno.EINVAL)
            throw new BpfMapException(Name, Errno.EINVAL, $"the prefix is longer than {MaxPrefixLength} bits");
        return result == 0;
    }

    /// <summary>
    /// The stored prefix after <paramref name="key"/> in the kernel's post-order, or the first when
    /// <paramref name="key"/> is empty, not stored, or has a prefix longer than the data.
    /// </summary>
    /// <returns>False when the trie is empty or <paramref name="key"/> was the last.</returns>
    /// <exception cref="ArgumentException">The key is neither empty nor <see cref="BpfMap.KeySize"/> bytes, or <paramref name="nextKey"/> is too short.</exception>
    public override bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        ThrowIfDisposed();
        if (!key.IsEmpty)
            CheckKeyLength(key.Length);
        if (nextKey.Length < KeySize)
            throw new ArgumentException($"map {Name}: the next key needs {KeySize} bytes", nameof(nextKey));
        LpmTrieNode? next;
        lock (_gate)
            next = NextInPostOrder(key);
        if (next is null)
            return false;
        MemoryMarshal.Write(nextKey, (uint)next.PrefixLength);
        next.Data.CopyTo(nextKey[PrefixLengthSize..]);
        return true;
    }

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        lock (_gate)
        {
            _freed = true;
            Volatile.Write(ref _root, null);
            _values.Free();
        }
    }

    /// <summary>The node of the longest stored prefix matching <paramref name="key"/>, as the kernel's <c>trie_lookup_elem</c>; takes no lock.</summary>
    private LpmTrieNode? Find(ReadOnlySpan<byte> key)
    {
        uint prefixLength = ReadPrefixLength(key);
        if (prefixLength > (uint)MaxPrefixLength)
            return null;
        var data = key[PrefixLengthSize..];
        LpmTrieNode? found = null;
        for (var node = Volatile.Read(ref _root); node is not null;)
        {
            int match = MatchLength(node.Data, data, Math.Min(node.PrefixLength, (int)prefixLength));
            if (match == MaxPrefixLength)
                return node; // an exact match of every bit: a node this long is never intermediate
            if (match < node.PrefixLength)
                break;
            if (!node.IsIntermediate)
                found = node;
            node = node.ReadChild(Bit(data, node.PrefixLength));
        }

        return found;
    }

    private long Store(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags)
    {
        if (flags > MapUpdateFlags.Exist)
            return -Errno.EINVAL;
        uint prefix = ReadPrefixLength(key);
        if (prefix > (uint)MaxPrefixLength)
            return -Errno.EINVAL;
        int prefixLength = (int)prefix;
        var data = key[PrefixLengthSize..];

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);

            // Walk down while the node's whole prefix matches and is shorter than the new one.
            ref var slot = ref _root;
            LpmTrieNode? node;
            int match = 0;
            while ((node = slot) is not null)
            {
                match = MatchLength(node.Data, data, Math.Min(node.PrefixLength, prefixLength));
                if (node.PrefixLength != match || node.PrefixLength == prefixLength)
                    break;
                slot = ref node.Child(Bit(data, node.PrefixLength));
            }

            // The kernel's checks, in its order: replacing an element needs no room; anything else adds one.
            bool replacesElement = node is not null && node.PrefixLength == match && !node.IsIntermediate;
            if (replacesElement && flags == MapUpdateFlags.NoExist)
                return -Errno.EEXIST;
            if (!replacesElement && AddEntry(flags) is var refused && refused < 0)
                return refused;

            nint element;
            try
            {
                element = _values.Rent(value);
            }
            catch (OutOfMemoryException)
            {
                if (!replacesElement)
                    Volatile.Write(ref _count, _count - 1);
                return -Errno.ENOMEM;
            }

            var stored = data.ToArray();
            if (node is null)
            {
                Volatile.Write(ref slot, new LpmTrieNode(prefixLength, stored, element));
            }
            else if (node.PrefixLength == match)
            {
                // The same prefix: a new node in its place (an intermediate one becomes an element).
                Volatile.Write(ref slot, new LpmTrieNode(prefixLength, stored, element, node.Child(0), node.Child(1)));
                if (replacesElement)
                    _values.Return(node.Value);
            }
            else if (match == prefixLength)
            {
                // The new prefix contains the node's: it goes in between, the node below it.
                Volatile.Write(ref slot, Bit(node.Data, match) == 0
                    ? new LpmTrieNode(prefixLength, stored, element, child0: node)
                    : new LpmTrieNode(prefixLength, stored, element, child1: node));
            }
            else
            {
                // They part at bit `match`: an intermediate node of that length holds both.
                var leaf = new LpmTrieNode(prefixLength, stored, element);
                Volatile.Write(ref slot, Bit(data, match) == 0
                    ? new LpmTrieNode(match, node.Data, 0, child0: leaf, child1: node)
                    : new LpmTrieNode(match, node.Data, 0, child0: node, child1: leaf));
            }

            return 0;
        }
    }

    private long Remove(ReadOnlySpan<byte> key)
    {
        uint prefix = ReadPrefixLength(key);
        if (prefix > (uint)MaxPrefixLength)
            return -Errno.EINVAL;
        int prefixLength = (int)prefix;
        var data = key[PrefixLengthSize..];

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            ref var slot = ref _root;
            ref var parentSlot = ref _root;
            LpmTrieNode? parent = null;
            LpmTrieNode? node;
            int match = 0;
            while ((node = slot) is not null)
            {
                match = MatchLength(node.Data, data, Math.Min(node.PrefixLength, prefixLength));
                if (node.PrefixLength != match || node.PrefixLength == prefixLength)
                    break;
                parent = node;
                parentSlot = ref slot;
                slot = ref node.Child(Bit(data, node.PrefixLength));
            }

            if (node is null || node.PrefixLength != prefixLength || match != prefixLength || node.IsIntermediate)
                return -Errno.ENOENT;

            Volatile.Write(ref _count, _count - 1);
            _values.Return(node.Value);
            var child0 = node.Child(0);
            var child1 = node.Child(1);
            if (child0 is not null && child1 is not null)
            {
                // Still needed to split its children: it stays as an intermediate node.
                Volatile.Write(ref slot, new LpmTrieNode(node.PrefixLength, node.Data, 0, child0, child1));
            }
            else if (child0 is null && child1 is null && parent is { IsIntermediate: true })
            {
                // A leaf under an intermediate node: the node's other child takes the parent's place,
                // so that every intermediate node keeps two children.
                Volatile.Write(ref parentSlot, ReferenceEquals(parent.Child(0), node) ? parent.Child(1) : parent.Child(0));
            }
            else
            {
                Volatile.Write(ref slot, child0 ?? child1);
            }

            return 0;
        }
    }

    /// <summary>Counts a new element, or refuses it as the kernel's <c>trie_check_add_elem</c>.</summary>
    private long AddEntry(MapUpdateFlags flags)
    {
        if (flags == MapUpdateFlags.Exist)
            return -Errno.ENOENT;
        if (_count == MaxEntries)
            return -Errno.ENOSPC;
        Volatile.Write(ref _count, _count + 1);
        return 0;
    }

    /// <summary>The kernel's <c>trie_get_next_key</c>; called under the lock.</summary>
    private LpmTrieNode? NextInPostOrder(ReadOnlySpan<byte> key)
    {
        var root = _root;
        if (root is null)
            return null;
        if (key.IsEmpty || ReadPrefixLength(key) > (uint)MaxPrefixLength)
            return FirstInPostOrder(root);

        int prefixLength = (int)ReadPrefixLength(key);
        var data = key[PrefixLengthSize..];
        var path = new List<LpmTrieNode>();
        LpmTrieNode? node = root;
        int match = 0;
        while (node is not null)
        {
            path.Add(node);
            match = MatchLength(node.Data, data, Math.Min(node.PrefixLength, prefixLength));
            if (node.PrefixLength != match || node.PrefixLength == prefixLength)
                break;
            node = node.Child(Bit(data, node.PrefixLength));
        }

        if (node is null || node.PrefixLength != match || node.IsIntermediate)
            return FirstInPostOrder(root);

        // Up the path: after a 0-side subtree comes the 1-side subtree, then the parent itself.
        for (int i = path.Count - 1; i > 0; i--)
        {
            var parent = path[i - 1];
            if (ReferenceEquals(parent.Child(0), path[i]) && parent.Child(1) is { } right)
                return FirstInPostOrder(right);
            if (!parent.IsIntermediate)
                return parent;
        }

        return null;
    }

    /// <summary>The first element of <paramref name="node"/>'s subtree in post-order: its leftmost leaf (intermediate nodes always have two children).</summary>
    private static LpmTrieNode FirstInPostOrder(LpmTrieNode node)
    {
        while (true)
        {
            if (node.Child(0) is { } left)
                node = left;
            else if (node.Child(1) is { } right)
                node = right;
            else
                return node;
        }
    }

    /// <summary>How many leading bits of <paramref name="nodeData"/> and <paramref name="keyData"/> agree, at most <paramref name="limit"/>.</summary>
    private static int MatchLength(byte[] nodeData, ReadOnlySpan<byte> keyData, int limit)
    {
        int bits = 0;
        int i = 0;
        while (bits < limit && nodeData.Length - i >= sizeof(ulong))
        {
            ulong diff = BinaryPrimitives.ReadUInt64BigEndian(nodeData.AsSpan(i)) ^ BinaryPrimitives.ReadUInt64BigEndian(keyData[i..]);
            if (diff != 0)
                return Math.Min(bits + BitOperations.LeadingZeroCount(diff), limit);
            bits += 64;
            i += sizeof(ulong);
        }

        while (bits < limit)
        {
            int diff = nodeData[i] ^ keyData[i];
            if (diff != 0)
                return Math.Min(bits + BitOperations.LeadingZeroCount((uint)diff) - 24, limit);
            bits += 8;
            i++;
        }

        return limit;
    }

    /// <summary>Bit <paramref name="index"/> of <paramref name="data"/>, counting from the most significant bit of the first byte.</summary>
    private static int Bit(ReadOnlySpan<byte> data, int index) => (data[index >> 3] >> (7 - (index & 7))) & 1;

    private static uint ReadPrefixLength(ReadOnlySpan<byte> key) => MemoryMarshal.Read<uint>(key);

    private void CheckKeyLength(int length)
    {
        if (length != KeySize)
            throw new ArgumentException($"map {Name}: the key must be {KeySize} bytes (a 4-byte prefix length and {DataSize} bytes of data), not {length}", "key");
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        const BpfMapFlags allowed = BpfMapFlags.NoPrealloc | BpfMapFlags.NumaNode | BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly
            | BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        const BpfMapFlags bothProgramModes = BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram;
        if ((definition.Flags & BpfMapFlags.NoPrealloc) == 0)
            throw new ArgumentException($"map {definition.Name}: an LPM trie must be created with BPF_F_NO_PREALLOC, as the kernel requires", nameof(definition));
        if ((definition.Flags & ~allowed) != 0 || (definition.Flags & bothProgramModes) == bothProgramModes)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for an LPM trie", nameof(definition));
        int dataSize = definition.KeySize - PrefixLengthSize;
        if (dataSize < 1 || dataSize > MaxDataSize)
            throw new ArgumentException($"map {definition.Name}: an LPM trie's key is a 4-byte prefix length and 1 to {MaxDataSize} bytes of data, so {PrefixLengthSize + 1} to {PrefixLengthSize + MaxDataSize} bytes, not {definition.KeySize}", nameof(definition));
        if (definition.ValueSize <= 0 || definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: value size and max_entries must be positive", nameof(definition));
        return definition;
    }
}
