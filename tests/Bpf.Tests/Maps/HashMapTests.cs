using Bpf.Maps;
using Bpf.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>BPF_MAP_TYPE_HASH through the host API: the kernel's flags, errors, capacity and iteration.</summary>
public sealed class HashMapTests
{
    private static HashMap Create(int maxEntries = 4, int keySize = 8, int valueSize = 8, BpfMapFlags flags = BpfMapFlags.None) =>
        new(Definition(BpfMapType.Hash, maxEntries, keySize, valueSize, flags));

    [Test]
    public void UpdateFlagsFollowTheKernel()
    {
        using var map = Create();
        Assert.Multiple(() =>
        {
            Assert.That(UpdateErrno(map, U64(1), U64(10), MapUpdateFlags.Exist), Is.EqualTo(Errno.ENOENT), "BPF_EXIST on a missing key");
            Assert.That(UpdateErrno(map, U64(1), U64(10), MapUpdateFlags.NoExist), Is.EqualTo(0), "BPF_NOEXIST on a missing key");
            Assert.That(UpdateErrno(map, U64(1), U64(11), MapUpdateFlags.NoExist), Is.EqualTo(Errno.EEXIST), "BPF_NOEXIST on an existing key");
            Assert.That(Get(map, 1), Is.EqualTo(10UL), "a refused update changes nothing");
            Assert.That(UpdateErrno(map, U64(1), U64(12), MapUpdateFlags.Exist), Is.EqualTo(0), "BPF_EXIST on an existing key");
            Assert.That(Get(map, 1), Is.EqualTo(12UL));
            Assert.That(UpdateErrno(map, U64(1), U64(13), MapUpdateFlags.Any), Is.EqualTo(0));
            Assert.That(Get(map, 1), Is.EqualTo(13UL));
        });
    }

    [TestCase(3UL)]
    [TestCase(4UL)]
    [TestCase(5UL)]
    [TestCase(8UL)]
    [TestCase(0x100UL)]
    public void UnknownFlagsAndSpinLockFlagAreInvalid(ulong flags)
    {
        using var map = Create();
        Assert.That(UpdateErrno(map, U64(1), U64(10), (MapUpdateFlags)flags), Is.EqualTo(Errno.EINVAL));
        Assert.That(map.Count, Is.Zero);
    }

    [Test]
    public void AFullMapRefusesNewKeysButUpdatesExistingOnes()
    {
        using var map = Create(maxEntries: 3);
        for (ulong key = 0; key < 3; key++)
            map.Update(U64(key), U64(key * 100));
        Assert.Multiple(() =>
        {
            Assert.That(UpdateErrno(map, U64(3), U64(1), MapUpdateFlags.Any), Is.EqualTo(Errno.E2BIG));
            Assert.That(UpdateErrno(map, U64(3), U64(1), MapUpdateFlags.NoExist), Is.EqualTo(Errno.E2BIG));
            Assert.That(UpdateErrno(map, U64(3), U64(1), MapUpdateFlags.Exist), Is.EqualTo(Errno.ENOENT), "flags are checked before room");
            Assert.That(UpdateErrno(map, U64(2), U64(7), MapUpdateFlags.Any), Is.EqualTo(0), "an existing key is updated even when full");
            Assert.That(UpdateErrno(map, U64(2), U64(8), MapUpdateFlags.NoExist), Is.EqualTo(Errno.EEXIST), "EEXIST wins over E2BIG");
            Assert.That(Get(map, 2), Is.EqualTo(7UL));
            Assert.That(map.Count, Is.EqualTo(3));
        });
    }

    [Test]
    public void DeletingMakesRoomAgain()
    {
        using var map = Create(maxEntries: 2);
        map.Update(U64(1), U64(1));
        map.Update(U64(2), U64(2));
        Assert.That(map.Delete(U64(1)), Is.True);
        Assert.That(map.Delete(U64(1)), Is.False, "the second delete finds nothing (ENOENT)");
        map.Update(U64(3), U64(3));
        Assert.Multiple(() =>
        {
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 2, 3 }));
            Assert.That(Get(map, 1), Is.Null);
            Assert.That(Get(map, 3), Is.EqualTo(3UL));
        });
    }

    [Test]
    public void ManyRoundsOfFillingAndEmptyingNeverLoseAnElement()
    {
        using var map = Create(maxEntries: 16);
        for (int round = 0; round < 50; round++)
        {
            for (ulong key = 0; key < 16; key++)
                map.Update(U64((ulong)round * 1000 + key), U64(key));
            Assert.That(UpdateErrno(map, U64(999_999), U64(0), MapUpdateFlags.Any), Is.EqualTo(Errno.E2BIG), $"round {round}");
            for (ulong key = 0; key < 16; key++)
                Assert.That(map.Delete(U64((ulong)round * 1000 + key)), Is.True);
            Assert.That(map.Count, Is.Zero);
        }
    }

    [Test]
    public void GetNextKeyVisitsEveryKeyOnceAndAMissingKeyRestartsFromTheFirst()
    {
        using var map = Create(maxEntries: 64);
        var inserted = Enumerable.Range(0, 40).Select(i => (ulong)i * 7919).ToArray();
        foreach (ulong key in inserted)
            map.Update(U64(key), U64(key));

        var walked = map.Keys.Select(k => BitConverter.ToUInt64(k)).ToList();
        Assert.That(walked, Is.EquivalentTo(inserted), "each key exactly once");

        var first = new byte[8];
        var afterMissing = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(map.TryGetNextKey([], first), Is.True);
            Assert.That(map.TryGetNextKey(U64(123_456_789), afterMissing), Is.True);
            Assert.That(afterMissing, Is.EqualTo(first), "BPF_MAP_GET_NEXT_KEY of a missing key gives the first key");
            Assert.That(BitConverter.ToUInt64(first), Is.EqualTo(walked[0]));
            Assert.That(map.TryGetNextKey(U64(walked[^1]), new byte[8]), Is.False, "nothing after the last key");
        });
    }

    [Test]
    public void AnEmptyMapHasNoFirstKey()
    {
        using var map = Create();
        Assert.Multiple(() =>
        {
            Assert.That(map.TryGetNextKey([], new byte[8]), Is.False);
            Assert.That(map.TryGetNextKey(U64(5), new byte[8]), Is.False);
            Assert.That(map.Keys, Is.Empty);
        });
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(13)]
    [TestCase(64)]
    public void KeysOfAnySizeAreComparedWhole(int keySize)
    {
        using var map = Create(maxEntries: 8, keySize: keySize);
        var a = new byte[keySize];
        var b = new byte[keySize];
        b[^1] = 1; // differs only in the last byte
        map.Update(a, U64(1));
        map.Update(b, U64(2));
        var value = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(map.TryLookup(a, value) && BitConverter.ToUInt64(value) == 1, Is.True);
            Assert.That(map.TryLookup(b, value) && BitConverter.ToUInt64(value) == 2, Is.True);
            Assert.That(map.Count, Is.EqualTo(2));
        });
    }

    [Test]
    public unsafe void ProgramLookupsReturnAlignedStablePointersIntoTheValueRegion()
    {
        using var map = Create(maxEntries: 8, keySize: 3, valueSize: 5);
        var invocation = HostInvocation();
        var values = map.ValueRegions.Single(r => r.Writable);
        var key = new byte[] { 1, 2, 3 };
        map.Update(key, [9, 8, 7, 6, 5]);
        fixed (byte* k = key)
        {
            nint first = map.Lookup((nint)k, invocation);
            map.Update(key, [1, 1, 1, 1, 1]);
            for (int i = 0; i < 5; i++)
                map.Update(new byte[] { 9, 9, (byte)i }, new byte[5]);
            nint again = map.Lookup((nint)k, invocation);
            Assert.Multiple(() =>
            {
                Assert.That((long)first % 8, Is.Zero, "values are 8-byte aligned");
                Assert.That(values.Contains((ulong)first, 5), Is.True, "the value is in a region programs may write");
                Assert.That(again, Is.EqualTo(first), "an update copies in place: the pointer stays valid");
                Assert.That(new ReadOnlySpan<byte>((void*)first, 5).ToArray(), Is.EqualTo(new byte[] { 1, 1, 1, 1, 1 }));
            });
        }
    }

    [Test]
    public unsafe void ADeletedElementIsNotHandedToTheNextNewKey()
    {
        using var map = Create(maxEntries: 4);
        var invocation = HostInvocation();
        map.Update(U64(1), U64(111));
        nint deleted;
        fixed (byte* k = U64(1))
            deleted = map.Lookup((nint)k, invocation);
        map.Delete(U64(1));
        map.Update(U64(2), U64(222));
        fixed (byte* k = U64(2))
            Assert.That(map.Lookup((nint)k, invocation), Is.Not.EqualTo(deleted));
        Assert.That(*(ulong*)deleted, Is.EqualTo(111UL), "a program still holding the old pointer reads the old value");
    }

    [Test]
    public void NoPreallocIsAccepted()
    {
        using var map = Create(maxEntries: 2, flags: BpfMapFlags.NoPrealloc);
        map.Update(U64(1), U64(1));
        map.Update(U64(2), U64(2));
        Assert.That(UpdateErrno(map, U64(3), U64(3), MapUpdateFlags.Any), Is.EqualTo(Errno.E2BIG));
    }

    [Test]
    public void ReadOnlyAndWriteOnlyMapsRefuseTheHostAsTheKernelDoes()
    {
        using var readOnly = Create(flags: BpfMapFlags.ReadOnly);
        using var writeOnly = Create(flags: BpfMapFlags.WriteOnly);
        writeOnly.Update(U64(1), U64(1));
        Assert.Multiple(() =>
        {
            Assert.That(UpdateErrno(readOnly, U64(1), U64(1), MapUpdateFlags.Any), Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => readOnly.Delete(U64(1)))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => writeOnly.TryLookup(U64(1), new byte[8]))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => writeOnly.TryGetNextKey([], new byte[8]))!.Errno, Is.EqualTo(Errno.EPERM));
        });
    }

    [Test]
    public void WrongSizedBuffersAreArgumentErrors()
    {
        using var map = Create();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => map.Update(new byte[4], U64(1)));
            Assert.Throws<ArgumentException>(() => map.Update(U64(1), new byte[4]));
            Assert.Throws<ArgumentException>(() => map.TryLookup(U64(1), new byte[7]));
            Assert.Throws<ArgumentException>(() => map.Delete(new byte[9]));
            Assert.Throws<ArgumentException>(() => map.TryGetNextKey(new byte[3], new byte[8]));
            Assert.Throws<ArgumentException>(() => map.TryGetNextKey([], new byte[7]));
        });
    }

    [TestCase(0, 8, 4, BpfMapFlags.None, TestName = "zero key size")]
    [TestCase(8, 0, 4, BpfMapFlags.None, TestName = "zero value size")]
    [TestCase(8, 8, 0, BpfMapFlags.None, TestName = "zero max_entries")]
    [TestCase(8, 8, 4, BpfMapFlags.NoCommonLru, TestName = "NO_COMMON_LRU on a plain hash")]
    [TestCase(8, 8, 4, BpfMapFlags.Mmapable, TestName = "MMAPABLE on a hash")]
    [TestCase(8, 8, 4, BpfMapFlags.ReadOnly | BpfMapFlags.WriteOnly, TestName = "read-only and write-only")]
    [TestCase(8, 4 << 20, 4, BpfMapFlags.None, TestName = "key and value past KMALLOC_MAX_SIZE")]
    public void DefinitionsTheKernelRefusesAreArgumentErrors(int keySize, int valueSize, int maxEntries, BpfMapFlags flags)
    {
        Assert.Throws<ArgumentException>(() => new HashMap(Definition(BpfMapType.Hash, maxEntries, keySize, valueSize, flags)).Dispose());
    }

    [Test]
    public void TheFactoryMakesTheHashFamily()
    {
        foreach (var (type, expected) in new[]
        {
            (BpfMapType.Hash, typeof(HashMap)),
            (BpfMapType.PercpuHash, typeof(PerCpuHashMap)),
            (BpfMapType.LruHash, typeof(LruHashMap)),
            (BpfMapType.LruPercpuHash, typeof(LruPerCpuHashMap)),
        })
        {
            using var map = MapFactory.Create(Definition(type, 4));
            Assert.That(map, Is.InstanceOf(expected), type.ToString());
        }

        using var array = MapFactory.Create(Definition(BpfMapType.PercpuArray, 4, keySize: 4));
        Assert.That(array, Is.InstanceOf<PerCpuArrayMap>());
    }

    [Test]
    public void HostOperationsOnADisposedMapThrow()
    {
        var map = Create();
        map.Dispose();
        Assert.Throws<ObjectDisposedException>(() => map.Update(U64(1), U64(1)));
        Assert.Throws<ObjectDisposedException>(() => map.TryLookup(U64(1), new byte[8]));
    }
}
