using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>BPF_MAP_TYPE_HASH_OF_MAPS: inner maps checked against the template, kept alive, and used by programs on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class HashOfMapsMapTests(string engine)
{
    private static readonly BpfMapDefinition s_innerHash = Definition(BpfMapType.Hash, 4);

    private static HashOfMapsMap Create(BpfMapDefinition inner, int maxEntries = 4) =>
        new(Definition(BpfMapType.HashOfMaps, maxEntries, keySize: 4, valueSize: 4) with { InnerMap = inner });

    // Looks up the inner map at key [r1+0] (u32), then key [r1+8] (u64) in it; returns the value or a miss marker.
    private const string LookupThroughOuter = """
        mov %r6, %r1
        lddw %r1, map_idx(0)
        mov %r2, %r6
        call 1
        jeq %r0, 0, miss
        mov %r1, %r0
        mov %r2, %r6
        add %r2, 8
        call 1
        jeq %r0, 0, miss
        ldxdw %r0, [%r0+0]
        exit
        miss:
        lddw %r0, 0xdeadbeef0badf00d
        exit
        """;

    private ulong Run(string source, BpfMap outer, byte[] input) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [outer]), ExecutionOptions.Default).Run(input);

    [Test]
    public void ProgramsLookUpAnInnerMapAndUseItAsAMap()
    {
        using var outer = Create(s_innerHash);
        using var inner = new HashMap(s_innerHash);
        inner.Update(U64(5), U64(555));
        outer.SetInnerMap(U32(1), inner);
        Assert.Multiple(() =>
        {
            Assert.That(Run(LookupThroughOuter, outer, [.. U32(1), 0, 0, 0, 0, .. U64(5)]), Is.EqualTo(555UL), "checked mode lets the program read the inner map's value");
            Assert.That(Run(LookupThroughOuter, outer, [.. U32(2), 0, 0, 0, 0, .. U64(5)]), Is.EqualTo(MapPrograms.Miss), "no inner map at key 2");
            Assert.That(Run(LookupThroughOuter, outer, [.. U32(1), 0, 0, 0, 0, .. U64(6)]), Is.EqualTo(MapPrograms.Miss), "no key 6 in the inner map");
        });
    }

    [Test]
    public void TheLookupResultIsTheInnerMapsHandle()
    {
        using var outer = Create(s_innerHash);
        using var inner = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(7), inner);
        Assert.That(Run("""
            mov %r2, %r1
            lddw %r1, map_idx(0)
            call 1
            exit
            """, outer, U32(7)), Is.EqualTo(inner.Handle));
    }

    [Test]
    public void ProgramsCannotUpdateOrDelete()
    {
        using var outer = Create(s_innerHash);
        using var inner = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(1), inner);
        var programs = new MapPrograms(engine, outer);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update(1, 0), Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(programs.Delete(1), Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(outer.TryGetInnerMap(U32(1), out var found) && ReferenceEquals(found, inner), Is.True);
        });
    }

    [Test]
    public void InnerMapsMustMatchTheTemplate()
    {
        using var outer = Create(s_innerHash);
        using var otherType = new LruHashMap(Definition(BpfMapType.LruHash, 4));
        using var otherKey = new HashMap(Definition(BpfMapType.Hash, 4, keySize: 4));
        using var otherValue = new HashMap(Definition(BpfMapType.Hash, 4, valueSize: 16));
        using var otherFlags = new HashMap(Definition(BpfMapType.Hash, 4, flags: BpfMapFlags.NoPrealloc));
        using var otherSize = new HashMap(Definition(BpfMapType.Hash, 100));
        Assert.Multiple(() =>
        {
            foreach (var wrong in new BpfMap[] { otherType, otherKey, otherValue, otherFlags })
                Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(U32(1), wrong))!.Errno, Is.EqualTo(Errno.EINVAL), wrong.ToString());
            Assert.DoesNotThrow(() => outer.SetInnerMap(U32(1), otherSize), "the kernel does not compare a hash's max_entries");
        });
    }

    [Test]
    public void ArrayInnerMapsMustAlsoMatchMaxEntriesUnlessTheTemplateSaysInnerMap()
    {
        var template = Definition(BpfMapType.Array, 4, keySize: 4);
        using var strict = Create(template);
        using var loose = Create(template with { Flags = BpfMapFlags.InnerMap });
        using var bigger = new ArrayMap(template with { MaxEntries = 8 });
        using var biggerInner = new ArrayMap(template with { MaxEntries = 8, Flags = BpfMapFlags.InnerMap });
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => strict.SetInnerMap(U32(1), bigger))!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.DoesNotThrow(() => loose.SetInnerMap(U32(1), biggerInner));
        });
    }

    [Test]
    public void UpdateFlagsAndCapacityFollowTheKernel()
    {
        using var outer = Create(s_innerHash, maxEntries: 2);
        using var a = new HashMap(s_innerHash);
        using var b = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(1), a, MapUpdateFlags.NoExist);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(U32(1), b, MapUpdateFlags.NoExist))!.Errno, Is.EqualTo(Errno.EEXIST));
            Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(U32(2), b, MapUpdateFlags.Exist))!.Errno, Is.EqualTo(Errno.ENOENT));
            Assert.DoesNotThrow(() => outer.SetInnerMap(U32(2), b));
            Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(U32(3), b))!.Errno, Is.EqualTo(Errno.E2BIG));
            Assert.That(outer.Keys.Select(k => BitConverter.ToUInt32(k)).Order(), Is.EqualTo(new uint[] { 1, 2 }));
            Assert.That(outer.Delete(U32(1)), Is.True);
            Assert.That(outer.Delete(U32(1)), Is.False);
            Assert.That(outer.TryGetInnerMap(U32(1), out _), Is.False);
        });
    }

    [Test]
    public void TheOuterMapKeepsItsInnerMapsMemoryAlive()
    {
        using var outer = Create(s_innerHash);
        var inner = new HashMap(s_innerHash);
        inner.Update(U64(5), U64(555));
        outer.SetInnerMap(U32(1), inner);
        inner.Dispose();
        Assert.Multiple(() =>
        {
            // The host dropped its map: its handle no longer works, but the memory is still there
            // for programs that got a pointer before; the outer map's reference holds it.
            Assert.That(BpfMap.FromHandle(inner.Handle), Is.Null);
            Assert.DoesNotThrow(inner.AddReference, "the memory is alive while the outer map holds it");
        });
        inner.ReleaseReference();
        outer.Delete(U32(1));
        Assert.Throws<ObjectDisposedException>(inner.AddReference, "deleting the entry dropped the last reference");
    }

    [Test]
    public void ReplacingAnEntryReleasesTheOldInnerMap()
    {
        using var outer = Create(s_innerHash);
        var first = new HashMap(s_innerHash);
        using var second = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(1), first);
        first.Dispose();
        outer.SetInnerMap(U32(1), second);
        Assert.Throws<ObjectDisposedException>(first.AddReference);
        Assert.That(outer.TryGetInnerMap(U32(1), out var now) && ReferenceEquals(now, second), Is.True);
    }

    [Test]
    public void DisposingTheOuterMapReleasesItsInnerMaps()
    {
        var outer = Create(s_innerHash);
        var inner = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(1), inner);
        inner.Dispose();
        outer.Dispose();
        Assert.Throws<ObjectDisposedException>(inner.AddReference);
    }

    [Test]
    public void ADisposedMapCannotBecomeAnInnerMap()
    {
        using var outer = Create(s_innerHash);
        var inner = new HashMap(s_innerHash);
        inner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => outer.SetInnerMap(U32(1), inner));
    }

    [Test]
    public void DefinitionsTheKernelRefusesAreArgumentErrors()
    {
        var outer = Definition(BpfMapType.HashOfMaps, 4, keySize: 4, valueSize: 4);
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => new HashOfMapsMap(outer).Dispose(), "no inner map");
            Assert.Throws<ArgumentException>(() => new HashOfMapsMap(outer with { ValueSize = 8, InnerMap = s_innerHash }).Dispose(), "values are 4-byte descriptors");
            Assert.Throws<ArgumentException>(() => new HashOfMapsMap(outer with { InnerMap = outer with { InnerMap = s_innerHash } }).Dispose(), "one level of nesting");
            Assert.That(MapFactory.Create(outer with { InnerMap = s_innerHash }), Is.InstanceOf<HashOfMapsMap>());
        });
    }

    [Test]
    public void ByteValuesAreNotSupportedButKeysAre()
    {
        using var outer = Create(s_innerHash);
        using var inner = new HashMap(s_innerHash);
        outer.SetInnerMap(U32(3), inner);
        Assert.Multiple(() =>
        {
            Assert.Throws<NotSupportedException>(() => outer.TryLookup(U32(3), new byte[4]));
            Assert.Throws<NotSupportedException>(() => outer.Update(U32(3), new byte[4]));
            Assert.That(outer.Keys.Select(k => BitConverter.ToUInt32(k)), Is.EqualTo(new uint[] { 3 }));
            Assert.That(outer.Count, Is.EqualTo(1));
        });
    }
}
