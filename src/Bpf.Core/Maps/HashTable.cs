using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>What a hash table operation does to the element a key maps to; called under the element's bucket lock.</summary>
internal interface IHashElementCallbacks
{
    /// <summary>Writes the element's value: a new element (<paramref name="created"/>) or an existing one being updated.</summary>
    void Store(int element, bool created);

    /// <summary>The element is leaving the table (deleted or evicted); release what its value holds.</summary>
    void Removing(int element);
}

/// <summary>Reads the element a key maps to; called under the element's bucket lock.</summary>
internal interface IHashElementReader
{
    /// <summary>Reads the element.</summary>
    void Read(int element);
}

/// <summary>
/// The structure under the hash maps: a power-of-two array of buckets, each a chain of elements,
/// over a pool of elements allocated when the table is made. Keys live in one block (which
/// programs may read: <c>bpf_for_each_map_elem</c> hands them out), values in another (which the
/// maps lay out, per CPU or not), and the links, hashes and locks in a third that no program ever
/// sees, so a program scribbling on values cannot break a chain.
/// </summary>
/// <remarks>
/// <para>
/// Concurrency follows the kernel's hash table. Writers (update, delete, eviction) take a spin lock
/// per bucket; lookups take no lock. A reader can be overtaken by a writer that deletes the element
/// it stands on and reuses it for another key in another bucket, so, as the kernel does with its
/// "nulls" lists, each chain ends in a marker naming its bucket (<c>~bucket</c>), and a lookup that
/// ends on another bucket's marker starts again. Each element also has a sequence number that is
/// odd while its key is being rewritten, so a lookup never matches a half-written key.
/// </para>
/// <para>
/// Reuse: element memory is never freed while the table lives, so a pointer a program got from a
/// lookup always points at a value slot of this map. Deleted elements are not handed out again at
/// once: the pool has spare elements beyond <c>max_entries</c> (the count of live elements is what
/// is limited), never-used elements are taken first, and freed ones are reused oldest first, so a
/// program that still holds a deleted element's value pointer writes into a slot no other key owns
/// until many later deletions have gone by. (The kernel's preallocated maps reuse immediately.)
/// </para>
/// <para>
/// LRU tables keep every live element on a recency list under one lock (structural changes of new
/// keys and deletions take it before the bucket lock, as the kernel orders <c>lru_lock</c> before
/// bucket locks). Lookups only set a "referenced" flag, as the kernel's do; eviction takes the
/// oldest element, giving a referenced one a second chance (its flag is cleared and it moves to the
/// front), an approximation of least-recently-used like the kernel's active and inactive lists.
/// </para>
/// </remarks>
internal sealed unsafe class HashTable
{
    private const ulong GoldenRatio = 0x9E3779B97F4A7C15UL;
    private const ulong MixMultiplier = 0xC2B2AE3D27D4EB4FUL;

    private readonly int _keySize;
    private readonly int _keyStride;
    private readonly int _maxEntries;
    private readonly int _poolSize;
    private readonly uint _bucketMask;
    private readonly ulong _seed;
    private readonly bool _lru;

    private byte* _keys;
    private byte* _values;
    private Bucket* _buckets;
    private Node* _nodes;
    private int* _freeRing;

    // Allocation: elements never used yet are taken first (a bump counter), then freed ones in the
    // order they were freed (a ring under _freeLock). _live counts reserved elements: it is what
    // max_entries limits.
    private int _fresh;
    private int _freeLock;
    private int _freeHead;
    private int _freeCount;
    private int _live;

    // LRU: a doubly linked recency list (newest at the head) under _lruGate.
    private readonly Lock _lruGate = new();
    private int _lruHead = -1;
    private int _lruTail = -1;

    private struct Bucket
    {
        public int Head;
        public int Lock;
    }

    private struct Node
    {
        public int Next;
        public uint Hash;
        public int Sequence;
        public int Referenced;
        public int LruPrevious;
        public int LruNext;
    }

    /// <summary>Creates the table and its pool.</summary>
    /// <param name="keySize">The key size in bytes.</param>
    /// <param name="maxEntries">The most live elements.</param>
    /// <param name="valueBytesPerElement">The bytes of value memory each element gets (a multiple of 8; 0 for none).</param>
    /// <param name="lru">Evict the least recently used element instead of refusing a new key when full.</param>
    /// <param name="zeroSeed">Hash with seed 0 (reproducible order) instead of a random one.</param>
    public HashTable(int keySize, int maxEntries, int valueBytesPerElement, bool lru, bool zeroSeed)
    {
        _keySize = keySize;
        _keyStride = (keySize + 7) & ~7;
        _maxEntries = maxEntries;
        _lru = lru;
        _poolSize = (int)Math.Min(int.MaxValue, (long)maxEntries + SpareElements(maxEntries));
        long buckets = (long)BitOperations.RoundUpToPowerOf2((uint)maxEntries);
        _bucketMask = (uint)(buckets - 1);
        _seed = zeroSeed ? 0 : (ulong)Random.Shared.NextInt64();
        ValueBytesPerElement = valueBytesPerElement;
        try
        {
            // calloc: on Linux large blocks come straight from mmap and stay uncommitted until touched,
            // so a big map that is never filled costs little memory (BPF_F_NO_PREALLOC's point).
            _keys = (byte*)NativeMemory.AllocZeroed((nuint)_poolSize, (nuint)_keyStride);
            if (valueBytesPerElement > 0)
                _values = (byte*)NativeMemory.AllocZeroed((nuint)_poolSize, (nuint)valueBytesPerElement);
            _nodes = (Node*)NativeMemory.AllocZeroed((nuint)_poolSize, (nuint)sizeof(Node));
            _freeRing = (int*)NativeMemory.Alloc((nuint)_poolSize, sizeof(int));
            _buckets = (Bucket*)NativeMemory.Alloc((nuint)buckets, (nuint)sizeof(Bucket));
        }
        catch (OutOfMemoryException)
        {
            Free();
            throw;
        }

        for (long i = 0; i < buckets; i++)
            _buckets[i] = new Bucket { Head = ~(int)i };
    }

    /// <summary>The number of elements in the pool (element indices are below it): max_entries and the spares.</summary>
    public int PoolSize => _poolSize;

    /// <summary>The key block: <see cref="KeyBlockLength"/> bytes, keys 8-byte aligned.</summary>
    public nint KeyBlock => (nint)_keys;

    /// <summary>The length of the key block.</summary>
    public nint KeyBlockLength => (nint)_poolSize * _keyStride;

    /// <summary>The value block: <see cref="ValueBytesPerElement"/> bytes per element, 8-byte aligned.</summary>
    public nint ValueBlock => (nint)_values;

    /// <summary>The length of the value block.</summary>
    public nint ValueBlockLength => (nint)_poolSize * ValueBytesPerElement;

    /// <summary>The bytes of value memory of each element.</summary>
    public int ValueBytesPerElement { get; }

    /// <summary>The number of live elements (exact when no update is under way).</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>The key of element <paramref name="element"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* KeyOf(int element) => _keys + (long)element * _keyStride;

    /// <summary>The value memory of element <paramref name="element"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* ValueOf(int element) => _values + (long)element * ValueBytesPerElement;

    /// <summary>
    /// The element holding <paramref name="key"/>, or -1, without locking (the path of programs'
    /// lookups). For LRU tables, <paramref name="touch"/> marks the element as recently used.
    /// </summary>
    public int Find(byte* key, bool touch)
    {
        uint hash = HashOf(key);
        Bucket* bucket = _buckets + (hash & _bucketMask);
        int end = ~(int)(hash & _bucketMask);
        while (true)
        {
            int link = Volatile.Read(ref bucket->Head);
            while (link >= 0)
            {
                Node* node = _nodes + link;
                int sequence = Volatile.Read(ref node->Sequence);
                if ((sequence & 1) == 0 && node->Hash == hash && KeyEquals(link, key))
                {
                    Volatile.ReadBarrier();
                    if (Volatile.Read(ref node->Sequence) != sequence)
                        break; // the key was rewritten while being compared: start again
                    if (touch && _lru && node->Referenced == 0)
                        node->Referenced = 1;
                    return link;
                }

                link = Volatile.Read(ref node->Next);
            }

            if (link == end)
                return -1;
            // Ended in another bucket's chain (an element was moved under us) or saw a rewrite: again.
        }
    }

    /// <summary>Runs <paramref name="reader"/> on the element holding <paramref name="key"/> under its bucket lock.</summary>
    /// <returns>False if there is no such element.</returns>
    public bool Read<TReader>(byte* key, ref TReader reader)
        where TReader : struct, IHashElementReader
    {
        uint hash = HashOf(key);
        Bucket* bucket = _buckets + (hash & _bucketMask);
        Enter(ref bucket->Lock);
        int element = FindLocked(bucket, hash, key);
        if (element >= 0)
            reader.Read(element);
        Exit(ref bucket->Lock);
        return element >= 0;
    }

    /// <summary>
    /// Inserts or updates <paramref name="key"/> as <c>bpf_map_update_elem</c> with flags
    /// <see cref="MapUpdateFlags.Any"/>, <see cref="MapUpdateFlags.NoExist"/> or
    /// <see cref="MapUpdateFlags.Exist"/> (the caller rejects others): 0, <c>-EEXIST</c>,
    /// <c>-ENOENT</c>, or <c>-E2BIG</c> when a table that does not evict is full.
    /// </summary>
    public long Upsert<TCallbacks>(byte* key, MapUpdateFlags flags, ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        uint hash = HashOf(key);
        Bucket* bucket = _buckets + (hash & _bucketMask);
        Enter(ref bucket->Lock);
        int element = FindLocked(bucket, hash, key);
        if (element >= 0 || flags == MapUpdateFlags.Exist)
        {
            long result = UpdateExisting(element, flags, ref callbacks);
            Exit(ref bucket->Lock);
            return result;
        }

        if (!_lru)
        {
            long result = TryReserve() ? 0 : -Errno.E2BIG;
            if (result == 0)
                Insert(bucket, TakeFree(), hash, key, ref callbacks);
            Exit(ref bucket->Lock);
            return result;
        }

        // A new key in an LRU table may need an eviction, which locks the victim's bucket: the LRU
        // lock comes first, so let go of the bucket and look again once both are held in order.
        Exit(ref bucket->Lock);
        lock (_lruGate)
        {
            Enter(ref bucket->Lock);
            element = FindLocked(bucket, hash, key);
            if (element >= 0)
            {
                long result = UpdateExisting(element, flags, ref callbacks);
                Exit(ref bucket->Lock);
                return result;
            }

            // No other thread can add this key meanwhile: new keys are added under the LRU lock.
            Exit(ref bucket->Lock);
            if (!TryReserve())
            {
                if (!Evict(ref callbacks))
                    return -Errno.ENOMEM;
                TryReserve();
            }

            element = TakeFree();
            Enter(ref bucket->Lock);
            Insert(bucket, element, hash, key, ref callbacks);
            Exit(ref bucket->Lock);
            LruPushFront(element);
            return 0;
        }
    }

    /// <summary>Deletes <paramref name="key"/>; false if it is not there.</summary>
    public bool Remove<TCallbacks>(byte* key, ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        uint hash = HashOf(key);
        Bucket* bucket = _buckets + (hash & _bucketMask);
        if (!_lru)
            return RemoveFrom(bucket, hash, key, ref callbacks) >= 0;
        lock (_lruGate)
        {
            int element = RemoveFrom(bucket, hash, key, ref callbacks);
            if (element >= 0)
                LruUnlink(element);
            return element >= 0;
        }
    }

    /// <summary>
    /// The key after <paramref name="key"/> in bucket order, or the first key when
    /// <paramref name="key"/> is null or not in the table, as <c>BPF_MAP_GET_NEXT_KEY</c>.
    /// </summary>
    /// <returns>False when there is no next key.</returns>
    public bool TryGetNextKey(byte* key, byte* nextKey)
    {
        uint start = 0;
        if (key != null)
        {
            uint hash = HashOf(key);
            Bucket* bucket = _buckets + (hash & _bucketMask);
            Enter(ref bucket->Lock);
            int element = FindLocked(bucket, hash, key);
            int next = element >= 0 ? _nodes[element].Next : -1;
            if (next >= 0)
                CopyKey(next, nextKey);
            Exit(ref bucket->Lock);
            if (next >= 0)
                return true;
            start = element >= 0 ? (hash & _bucketMask) + 1 : 0;
        }

        for (ulong index = start; index <= _bucketMask; index++)
        {
            Bucket* bucket = _buckets + index;
            if (Volatile.Read(ref bucket->Head) < 0)
                continue;
            Enter(ref bucket->Lock);
            int head = bucket->Head;
            if (head >= 0)
                CopyKey(head, nextKey);
            Exit(ref bucket->Lock);
            if (head >= 0)
                return true;
        }

        return false;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with each live element in bucket order, without locking (so
    /// the callback may update or delete), until it returns true; returns how many it visited.
    /// </summary>
    public long ForEach(Func<int, bool> visit)
    {
        long visited = 0;
        for (ulong index = 0; index <= _bucketMask; index++)
        {
            int link = Volatile.Read(ref _buckets[index].Head);
            while (link >= 0)
            {
                // Read the next link first: the callback may delete the element it is given.
                int next = Volatile.Read(ref _nodes[link].Next);
                visited++;
                if (visit(link))
                    return visited;
                link = next;
            }
        }

        return visited;
    }

    /// <summary>Frees the unmanaged memory (once; the table is unusable afterwards).</summary>
    public void Free()
    {
        NativeMemory.Free(_keys);
        _keys = null;
        NativeMemory.Free(_values);
        _values = null;
        NativeMemory.Free(_nodes);
        _nodes = null;
        NativeMemory.Free(_freeRing);
        _freeRing = null;
        NativeMemory.Free(_buckets);
        _buckets = null;
    }

    /// <summary>Spare elements beyond max_entries, so that freed elements wait before they are reused.</summary>
    private static int SpareElements(int maxEntries) => Math.Clamp(maxEntries / 4, 8, 1024);

    private long UpdateExisting<TCallbacks>(int element, MapUpdateFlags flags, ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        if (element < 0)
            return -Errno.ENOENT; // BPF_EXIST on a missing key
        if (flags == MapUpdateFlags.NoExist)
            return -Errno.EEXIST;
        callbacks.Store(element, created: false);
        if (_lru)
            _nodes[element].Referenced = 1;
        return 0;
    }

    private void Insert<TCallbacks>(Bucket* bucket, int element, uint hash, byte* key, ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        Node* node = _nodes + element;
        // Odd while the key changes, so that a lookup still standing on this element (from its
        // previous life) cannot match a half-written key.
        int sequence = Interlocked.Increment(ref node->Sequence);
        Buffer.MemoryCopy(key, KeyOf(element), _keySize, _keySize);
        node->Hash = hash;
        node->Referenced = 0;
        Volatile.Write(ref node->Sequence, sequence + 1);
        callbacks.Store(element, created: true);
        node->Next = bucket->Head;
        Volatile.Write(ref bucket->Head, element); // publishes key and value to lock-free readers
    }

    /// <summary>Unlinks the element holding the key from its bucket and frees it; returns it, or -1.</summary>
    private int RemoveFrom<TCallbacks>(Bucket* bucket, uint hash, byte* key, ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        Enter(ref bucket->Lock);
        int previous = -1;
        int link = bucket->Head;
        while (link >= 0 && !(_nodes[link].Hash == hash && KeyEquals(link, key)))
        {
            previous = link;
            link = _nodes[link].Next;
        }

        if (link >= 0)
        {
            callbacks.Removing(link);
            Unlink(bucket, previous, link);
        }

        Exit(ref bucket->Lock);
        if (link >= 0)
            Release(link);
        return link;
    }

    /// <summary>Takes a chain's link to <paramref name="element"/> out; its own link stays, for readers standing on it.</summary>
    private void Unlink(Bucket* bucket, int previous, int element)
    {
        int next = _nodes[element].Next;
        if (previous < 0)
            Volatile.Write(ref bucket->Head, next);
        else
            Volatile.Write(ref _nodes[previous].Next, next);
    }

    /// <summary>Evicts the least recently used element (under the LRU lock); false if there is none.</summary>
    private bool Evict<TCallbacks>(ref TCallbacks callbacks)
        where TCallbacks : struct, IHashElementCallbacks
    {
        // Each referenced element gets one second chance; after a full round none is left referenced.
        long chances = Count + 1L;
        while (_lruTail >= 0)
        {
            int victim = _lruTail;
            Node* node = _nodes + victim;
            if (node->Referenced != 0 && chances-- > 0)
            {
                node->Referenced = 0;
                LruUnlink(victim);
                LruPushFront(victim);
                continue;
            }

            Bucket* bucket = _buckets + (node->Hash & _bucketMask);
            Enter(ref bucket->Lock);
            int previous = -1;
            int link = bucket->Head;
            while (link >= 0 && link != victim)
            {
                previous = link;
                link = _nodes[link].Next;
            }

            // Every element on the recency list is in its bucket: both change only under the LRU lock.
            Debug.Assert(link == victim, "an element on the LRU list is missing from its bucket");
            callbacks.Removing(victim);
            Unlink(bucket, previous, victim);
            Exit(ref bucket->Lock);
            LruUnlink(victim);
            Release(victim);
            return true;
        }

        return false;
    }

    private bool TryReserve()
    {
        while (true)
        {
            int live = Volatile.Read(ref _live);
            if (live >= _maxEntries)
                return false;
            if (Interlocked.CompareExchange(ref _live, live + 1, live) == live)
                return true;
        }
    }

    /// <summary>An element for a reserved slot: one never used, else the one freed longest ago.</summary>
    private int TakeFree()
    {
        while (true)
        {
            int fresh = Volatile.Read(ref _fresh);
            if (fresh >= _poolSize)
                break;
            if (Interlocked.CompareExchange(ref _fresh, fresh + 1, fresh) == fresh)
                return fresh;
        }

        Enter(ref _freeLock);
        // A reservation guarantees a free element: the pool is larger than max_entries and an element
        // is pushed back before its reservation is given up (Release).
        Debug.Assert(_freeCount > 0, "reserved an element but none is free");
        int element = _freeRing[_freeHead];
        _freeHead = _freeHead + 1 == _poolSize ? 0 : _freeHead + 1;
        _freeCount--;
        Exit(ref _freeLock);
        return element;
    }

    /// <summary>Returns an unlinked element to the pool and gives up its reservation.</summary>
    private void Release(int element)
    {
        Enter(ref _freeLock);
        int tail = _freeHead + _freeCount;
        _freeRing[tail >= _poolSize ? tail - _poolSize : tail] = element;
        _freeCount++;
        Exit(ref _freeLock);
        Interlocked.Decrement(ref _live);
    }

    private void LruPushFront(int element)
    {
        Node* node = _nodes + element;
        node->LruPrevious = -1;
        node->LruNext = _lruHead;
        if (_lruHead >= 0)
            _nodes[_lruHead].LruPrevious = element;
        else
            _lruTail = element;
        _lruHead = element;
    }

    private void LruUnlink(int element)
    {
        Node* node = _nodes + element;
        if (node->LruPrevious >= 0)
            _nodes[node->LruPrevious].LruNext = node->LruNext;
        else
            _lruHead = node->LruNext;
        if (node->LruNext >= 0)
            _nodes[node->LruNext].LruPrevious = node->LruPrevious;
        else
            _lruTail = node->LruPrevious;
    }

    private int FindLocked(Bucket* bucket, uint hash, byte* key)
    {
        int link = bucket->Head;
        while (link >= 0 && !(_nodes[link].Hash == hash && KeyEquals(link, key)))
            link = _nodes[link].Next;
        return link;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool KeyEquals(int element, byte* key) =>
        new ReadOnlySpan<byte>(KeyOf(element), _keySize).SequenceEqual(new ReadOnlySpan<byte>(key, _keySize));

    private void CopyKey(int element, byte* destination) => Buffer.MemoryCopy(KeyOf(element), destination, _keySize, _keySize);

    /// <summary>The key's hash: 8 bytes at a time, seeded, mixed so that the low bits (the bucket) depend on every byte.</summary>
    private uint HashOf(byte* key)
    {
        ulong hash = _seed ^ ((ulong)(uint)_keySize * GoldenRatio);
        int remaining = _keySize;
        byte* p = key;
        for (; remaining >= 8; remaining -= 8, p += 8)
            hash = Mix(hash ^ Unsafe.ReadUnaligned<ulong>(p));
        if (remaining > 0)
        {
            ulong tail = 0;
            for (int i = 0; i < remaining; i++)
                tail |= (ulong)p[i] << (8 * i);
            hash = Mix(hash ^ tail);
        }

        return (uint)(hash ^ (hash >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong value) => BitOperations.RotateLeft(value * GoldenRatio, 29) * MixMultiplier;

    private static void Enter(ref int gate)
    {
        if (Interlocked.CompareExchange(ref gate, 1, 0) == 0)
            return;
        var spinner = default(SpinWait);
        do
            spinner.SpinOnce();
        while (Volatile.Read(ref gate) != 0 || Interlocked.CompareExchange(ref gate, 1, 0) != 0);
    }

    private static void Exit(ref int gate) => Volatile.Write(ref gate, 0);
}
