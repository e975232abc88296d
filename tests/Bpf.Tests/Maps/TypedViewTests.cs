using System.Runtime.InteropServices;
using Bpf.Maps;
using Bpf.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>Typed host views: AsHash, AsPerCpuHash, AsArray on arrays and per-CPU arrays.</summary>
public sealed class TypedViewTests
{
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private record struct FlowKey(uint Source, uint Destination, ushort Port);

    private record struct Counters(ulong Packets, ulong Bytes);

    [Test]
    public void AHashViewReadsAndWritesTypedEntries()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8, keySize: 10, valueSize: 16));
        var view = map.AsHash<FlowKey, Counters>();
        var flow = new FlowKey(0x0A000001, 0x0A000002, 443);
        view[flow] = new Counters(1, 1500);
        view.Set(flow with { Port = 80 }, new Counters(2, 100), MapUpdateFlags.NoExist);
        Assert.Multiple(() =>
        {
            Assert.That(view[flow], Is.EqualTo(new Counters(1, 1500)));
            Assert.That(view.TryGetValue(flow with { Port = 22 }, out _), Is.False);
            Assert.That(view.ContainsKey(flow with { Port = 80 }), Is.True);
            Assert.That(view.Count, Is.EqualTo(2));
            Assert.That(view.ToDictionary(p => p.Key, p => p.Value), Is.EquivalentTo(new Dictionary<FlowKey, Counters>
            {
                [flow] = new Counters(1, 1500),
                [flow with { Port = 80 }] = new Counters(2, 100),
            }));
            Assert.Throws<KeyNotFoundException>(() => _ = view[flow with { Port = 1 }]);
            Assert.That(Assert.Throws<BpfMapException>(() => view.Set(flow, default, MapUpdateFlags.NoExist))!.Errno, Is.EqualTo(Errno.EEXIST));
            Assert.That(view.Remove(flow), Is.True);
            Assert.That(view.Remove(flow), Is.False);
            Assert.That(view.Keys, Is.EqualTo(new[] { flow with { Port = 80 } }));
        });
    }

    [Test]
    public void TheBytesAreTheMapsBytes()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8));
        map.AsHash<ulong, long>()[0x0102030405060708] = -2;
        var value = new byte[8];
        Assert.That(map.TryLookup(U64(0x0102030405060708), value), Is.True);
        Assert.That(BitConverter.ToInt64(value), Is.EqualTo(-2));
    }

    [Test]
    public void SizesMustMatchTheDefinition()
    {
        using var hash = new HashMap(Definition(BpfMapType.Hash, 8));
        using var perCpu = new PerCpuHashMap(Definition(BpfMapType.PercpuHash, 8));
        using var array = new ArrayMap(Definition(BpfMapType.Array, 8, keySize: 4));
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => hash.AsHash<uint, ulong>(), "key too small");
            Assert.Throws<ArgumentException>(() => hash.AsHash<ulong, Counters>(), "value too large");
            Assert.Throws<ArgumentException>(() => perCpu.AsHash<ulong, ulong>(), "per-CPU maps have their own view");
            Assert.Throws<ArgumentException>(() => hash.AsPerCpuHash<ulong, ulong>(), "not a per-CPU map");
            Assert.Throws<ArgumentException>(() => array.AsArray<uint>());
            Assert.DoesNotThrow(() => array.AsHash<uint, ulong>(), "an array is a keyed map too");
        });
    }

    [Test]
    public void AnArrayViewReadsInPlaceAndWritesThroughTheMap()
    {
        using var array = new ArrayMap(Definition(BpfMapType.Array, 4, keySize: 4, valueSize: 16));
        var view = array.AsArray<Counters>();
        view[2] = new Counters(3, 4);
        Assert.Multiple(() =>
        {
            Assert.That(view.Count, Is.EqualTo(4));
            Assert.That(view, Is.EqualTo(new[] { default, default, new Counters(3, 4), default }));
            Assert.That(BitConverter.ToUInt64(array.ValueAt(2)[8..]), Is.EqualTo(4UL));
            Assert.That(view.TryGetValue(4, out _), Is.False);
            Assert.That(view.TryGetValue(-1, out _), Is.False);
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = view[4]);
            Assert.That(Assert.Throws<BpfMapException>(() => view.Set(1, default, MapUpdateFlags.NoExist))!.Errno, Is.EqualTo(Errno.EEXIST));
        });
        array.Freeze();
        Assert.That(Assert.Throws<BpfMapException>(() => view[0] = default)!.Errno, Is.EqualTo(Errno.EPERM), "a frozen array refuses the host");
    }

    [Test]
    public void APerCpuHashViewHasOneValuePerSlot()
    {
        using var map = new PerCpuHashMap(Definition(BpfMapType.PercpuHash, 8, keySize: 4, valueSize: 4));
        var view = map.AsPerCpuHash<uint, uint>();
        var values = Enumerable.Range(0, CpuSlots.Count).Select(i => (uint)(i + 7)).ToArray();
        view[9] = values;
        var host = new byte[map.HostValueSize];
        map.TryLookup(U32(9), host);
        Assert.Multiple(() =>
        {
            Assert.That(view[9], Is.EqualTo(values));
            Assert.That(Enumerable.Range(0, CpuSlots.Count).Select(i => BitConverter.ToUInt32(host, i * 8)), Is.EqualTo(values), "slots are 8 bytes apart");
            Assert.Throws<ArgumentException>(() => view.Set(1, new uint[CpuSlots.Count + 1]));
            Assert.That(view.Single().Key, Is.EqualTo(9u));
            Assert.That(view.Count, Is.EqualTo(1));
            Assert.That(view.Remove(9), Is.True);
        });
    }

    [Test]
    public void APerCpuArrayViewReadsWholeIndexesAndSingleSlots()
    {
        using var map = new PerCpuArrayMap(Definition(BpfMapType.PercpuArray, 3, keySize: 4, valueSize: 2));
        var view = map.AsArray<ushort>();
        var values = Enumerable.Range(0, CpuSlots.Count).Select(i => (ushort)(i * 11 + 1)).ToArray();
        view[1] = values;
        view[2, CpuSlots.Count - 1] = 5;
        Assert.Multiple(() =>
        {
            Assert.That(view[1], Is.EqualTo(values));
            Assert.That(view[1, 0], Is.EqualTo((ushort)1));
            Assert.That(view[2][^1], Is.EqualTo((ushort)5));
            Assert.That(view.Count, Is.EqualTo(3));
            Assert.That(view.Select(v => v.Length), Is.All.EqualTo(CpuSlots.Count));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = view[0, CpuSlots.Count]);
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = view[3]);
            Assert.That(map.AsPerCpuHash<uint, ushort>()[1], Is.EqualTo(values), "the same data through the keyed view");
        });
    }

    [Test]
    public void ReadOnlyPerCpuArraysRefuseSlotWrites()
    {
        using var map = new PerCpuArrayMap(Definition(BpfMapType.PercpuArray, 3, keySize: 4, flags: BpfMapFlags.ReadOnly));
        Assert.That(Assert.Throws<BpfMapException>(() => map.AsArray<ulong>()[0, 0] = 1)!.Errno, Is.EqualTo(Errno.EPERM));
    }
}
