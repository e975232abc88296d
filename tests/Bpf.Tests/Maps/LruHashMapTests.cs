using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>
/// BPF_MAP_TYPE_LRU_HASH: a full map evicts instead of refusing, and what it evicts is what programs
/// used least recently (the kernel's test_lru_map basics), on every engine.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class LruHashMapTests(string engine)
{
    private static LruHashMap Create(int maxEntries, BpfMapFlags flags = BpfMapFlags.None) =>
        new(Definition(BpfMapType.LruHash, maxEntries, flags: flags));

    [Test]
    public void AFullMapEvictsInsteadOfRefusing()
    {
        using var map = Create(4);
        var programs = new MapPrograms(engine, map);
        for (ulong key = 0; key < 10; key++)
            Assert.That(programs.Update(key, key), Is.Zero, $"key {key}");
        Assert.Multiple(() =>
        {
            Assert.That(map.Count, Is.EqualTo(4));
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 6, 7, 8, 9 }), "nothing used: the oldest go first");
        });
    }

    [Test]
    public void AKeyLookedUpByAProgramSurvivesTheNextEviction()
    {
        // test_lru_map's basic case: two entries, look up the first, add a third: the second goes.
        using var map = Create(2);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 10);
        programs.Update(2, 20);
        Assert.That(programs.Lookup(1), Is.EqualTo(10UL));
        programs.Update(3, 30);
        Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 3 }));
    }

    [Test]
    public void TheUsedHalfSurvivesAndTheUnusedHalfIsEvicted()
    {
        const int Size = 16;
        using var map = Create(Size);
        var programs = new MapPrograms(engine, map);
        for (ulong key = 0; key < Size; key++)
            programs.Update(key, key);
        for (ulong key = 0; key < Size / 2; key++)
            Assert.That(programs.Lookup(key), Is.EqualTo(key));
        for (ulong key = 100; key < 100 + Size / 2; key++)
            programs.Update(key, key);
        var expected = Enumerable.Range(0, Size / 2).Select(i => (ulong)i).Concat(Enumerable.Range(100, Size / 2).Select(i => (ulong)i));
        Assert.That(KeysOf(map), Is.EqualTo(expected.Order().ToArray()));
    }

    [Test]
    public void UpdatingAKeyCountsAsAUse()
    {
        using var map = Create(2);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 10);
        programs.Update(2, 20);
        programs.Update(1, 11, MapUpdateFlags.Exist);
        programs.Update(3, 30);
        Assert.Multiple(() =>
        {
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 3 }));
            Assert.That(Get(map, 1), Is.EqualTo(11UL));
        });
    }

    [Test]
    public void HostLookupsDoNotCountAsUses()
    {
        using var map = Create(2);
        map.Update(U64(1), U64(10));
        map.Update(U64(2), U64(20));
        Assert.That(Get(map, 1), Is.EqualTo(10UL));
        map.Update(U64(3), U64(30));
        Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 2, 3 }), "the kernel's syscall lookup does not set the reference bit either");
    }

    [Test]
    public void FlagsAndErrorsAreThoseOfAHashMap()
    {
        using var map = Create(2);
        var programs = new MapPrograms(engine, map);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update(1, 1, MapUpdateFlags.Exist), Is.EqualTo(Negative(Errno.ENOENT)));
            Assert.That(programs.Update(1, 1, MapUpdateFlags.NoExist), Is.Zero);
            Assert.That(programs.Update(1, 1, MapUpdateFlags.NoExist), Is.EqualTo(Negative(Errno.EEXIST)));
            Assert.That(programs.Update(1, 1, MapUpdateFlags.Lock), Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(programs.Update(1, 1, (MapUpdateFlags)3), Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(programs.Delete(2), Is.EqualTo(Negative(Errno.ENOENT)));
            Assert.That(programs.Delete(1), Is.Zero);
            Assert.That(map.Count, Is.Zero);
        });
    }

    [Test]
    public void ARefusedUpdateEvictsNothing()
    {
        using var map = Create(2);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 1);
        programs.Update(2, 2);
        Assert.That(programs.Update(3, 3, MapUpdateFlags.Exist), Is.EqualTo(Negative(Errno.ENOENT)));
        Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 2 }));
    }

    [Test]
    public void DeletedElementsAreReusedBeforeAnythingIsEvicted()
    {
        using var map = Create(3);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 1);
        programs.Update(2, 2);
        programs.Update(3, 3);
        programs.Delete(2);
        programs.Update(4, 4);
        Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 3, 4 }));
    }

    [Test]
    public void NoCommonLruIsAcceptedAndNoPreallocIsNot()
    {
        using var map = Create(4, BpfMapFlags.NoCommonLru);
        for (ulong key = 0; key < 8; key++)
            map.Update(U64(key), U64(key));
        Assert.That(map.Count, Is.EqualTo(4));
        Assert.Throws<ArgumentException>(() => Create(4, BpfMapFlags.NoPrealloc).Dispose(), "the kernel refuses LRU maps without preallocation");
    }
}
