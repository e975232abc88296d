using System.Buffers.Binary;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Samples;

/// <summary>
/// The C samples in samples/bpf, loaded from their committed objects and run on every engine:
/// results and map contents are what the C source means (computed here, not recorded from a run).
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class BpfSampleTests(string engineName)
{
    private readonly IBpfEngine _engine = Engines.Get(engineName);

    private static BpfObject Load(string sample) => BpfObject.Load(RepositoryFiles.SampleObject(sample));

    private static ulong Value(BpfMap map, byte[] key)
    {
        var value = new byte[map.HostValueSize];
        return map.TryLookup(key, value) ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }

    private static byte[] U16(ushort value) => BitConverter.GetBytes(value);

    private static byte[] U32(uint value) => BitConverter.GetBytes(value);

    [Test]
    public void XdpCounterCountsPacketsByEtherType()
    {
        using var obj = Load("xdp_counter");
        var run = obj.Programs["count_packets"].Prepare(_engine);
        foreach (var packet in new[] { Packets.Ipv4To("10.0.0.1"), Packets.Ethernet(Packets.Arp), Packets.Ipv4To("10.0.0.2"), Packets.Ethernet(Packets.Ipv6), Packets.Ipv4To("10.0.0.3") })
            Assert.That(XdpContext.Run(run, packet).Action, Is.EqualTo(XdpAction.Pass));
        var map = obj.Map("packets_by_ethertype");
        Assert.That(Value(map, U16(Packets.Ipv4)), Is.EqualTo(3));
        Assert.That(Value(map, U16(Packets.Arp)), Is.EqualTo(1));
        Assert.That(Value(map, U16(Packets.Ipv6)), Is.EqualTo(1));
        Assert.That(map.Keys.Count(), Is.EqualTo(3));
    }

    [Test]
    public void ConfigurationIsSetBeforeTheProgramIsPrepared()
    {
        using var obj = Load("config");
        obj.Variable("max_length").Set(100u);
        obj.Variable("drop_ipv6").Set((byte)1);
        var run = obj.Programs["filter_by_config"].Prepare(_engine);
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("1.2.3.4", length: 60)).Action, Is.EqualTo(XdpAction.Pass));
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Ipv4, 200)).Action, Is.EqualTo(XdpAction.Drop), "longer than max_length");
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Ipv6, 60)).Action, Is.EqualTo(XdpAction.Drop), "drop_ipv6");
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Arp, 42)).Action, Is.EqualTo(XdpAction.Pass));
        Assert.That(obj.Variable("passed").Get<ulong>(), Is.EqualTo(2));
        Assert.That(obj.Variable("dropped").Get<ulong>(), Is.EqualTo(2));
        Assert.That(obj.Variable("last_length").Get<uint>(), Is.EqualTo(42));
        Assert.That(System.Text.Encoding.ASCII.GetString(obj.Variable("greeting").Bytes).TrimEnd('\0'), Is.EqualTo("hello, bpfjit"));
    }

    [Test]
    public void LpmRouterRoutesByLongestPrefix()
    {
        using var obj = Load("lpm_router");
        var routes = obj.Map("routes");
        void Route(string prefix, int length, XdpAction action, uint counter) =>
            routes.Update([.. U32((uint)length), .. Packets.Address(prefix)], [.. U32((uint)action), .. U32(counter)]);
        Route("10.0.0.0", 8, XdpAction.Pass, 1);
        Route("10.1.0.0", 16, XdpAction.Tx, 2);
        Route("192.168.1.7", 32, XdpAction.Drop, 3);
        var run = obj.Programs["route_ipv4"].Prepare(_engine);
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("10.1.2.3")).Action, Is.EqualTo(XdpAction.Tx));
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("10.9.9.9")).Action, Is.EqualTo(XdpAction.Pass));
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("10.1.200.1")).Action, Is.EqualTo(XdpAction.Tx));
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("192.168.1.7")).Action, Is.EqualTo(XdpAction.Drop));
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("8.8.8.8")).Action, Is.EqualTo(XdpAction.Drop), "no route");
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Arp)).Action, Is.EqualTo(XdpAction.Pass), "not IPv4");
        var hits = obj.Map("route_hits");
        Assert.That(new[] { 1u, 2u, 3u }.Select(c => Value(hits, U32(c))), Is.EqualTo(new ulong[] { 1, 2, 1 }));
    }

    [Test]
    public void TailCallDispatcherRunsTheHandlerOfEachEtherType()
    {
        using var obj = Load("tail_calls");
        var run = obj.Programs["dispatch"].Prepare(_engine);
        Assert.That(XdpContext.Run(run, Packets.Ipv4To("10.0.0.1")).Action, Is.EqualTo(XdpAction.Pass));
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Ipv6)).Action, Is.EqualTo(XdpAction.Drop));
        Assert.That(XdpContext.Run(run, Packets.Ethernet(Packets.Arp)).Action, Is.EqualTo(XdpAction.Tx));
        Assert.That(XdpContext.Run(run, Packets.Ethernet(0x1234)).Action, Is.EqualTo(XdpAction.Pass), "no handler");
        var handled = obj.Map("handled");
        Assert.That(Enumerable.Range(0, 4).Select(i => Value(handled, U32((uint)i))), Is.EqualTo(new ulong[] { 1, 1, 1, 1 }));
    }

    [TestCase(new byte[] { 1, 2, 3, 250 }, 256)]
    [TestCase(new byte[0], 0)]
    public void BpfLoopSumsTheBytes(byte[] data, int expected)
    {
        using var obj = Load("loops");
        Assert.That((int)obj.Programs["sum_bytes_with_bpf_loop"].Prepare(_engine).Run(data), Is.EqualTo(expected));
    }

    [TestCase(0, 0)]
    [TestCase(5, 0 + 1 + 4 + 9 + 16)]
    [TestCase(100, 328350)]
    public void IteratorSumsSquares(int n, int expected)
    {
        using var obj = Load("loops");
        Assert.That((int)obj.Programs["sum_of_squares_with_iterator"].Prepare(_engine).Run([(byte)n]), Is.EqualTo(expected));
    }

    [Test]
    public void ArenaHistogramIsSharedWithTheHost()
    {
        using var obj = Load("arena");
        var run = obj.Programs["record_length"].Prepare(_engine);
        foreach (int length in new[] { 60, 60, 100, 1500, 5000 })
            Assert.That(SyscallContext.Run(run, BitConverter.GetBytes((uint)length)), Is.Zero);
        ulong page = obj.Variable("histogram").Get<ulong>();
        Assert.That(page, Is.Not.Zero, "the program allocated its page");
        var arena = obj.Map("arena");
        Assert.That(page & 0xFFFF_FFFF_0000_0000, Is.EqualTo(arena.ArenaBase & 0xFFFF_FFFF_0000_0000));
        var buckets = new ulong[32];
        unsafe
        {
            new ReadOnlySpan<ulong>((void*)page, 32).CopyTo(buckets);
        }

        var expected = new ulong[32];
        foreach (int length in new[] { 60, 60, 100, 1500, 5000 })
            expected[Math.Min(length / 64, 31)]++;
        Assert.That(buckets, Is.EqualTo(expected));
    }

    [Test]
    public void RingBufferEventsReachTheHost()
    {
        using var obj = Load("ringbuf_events");
        var run = obj.Programs["report_packets"].Prepare(_engine);
        byte[][] packets = [Packets.Ipv4To("10.0.0.1", protocol: 6), Packets.Ethernet(Packets.Arp), Packets.Ipv4To("10.0.0.2", protocol: 17, length: 100), Packets.Ethernet(Packets.Ipv6)];
        foreach (var packet in packets)
            XdpContext.Run(run, packet);
        var records = ConsumeAll(obj.Map("events"));
        // Two IPv4 records (the others were discarded), then the summary of the 4th packet.
        Assert.That(records, Has.Count.EqualTo(3));
        Assert.That(records.Select(r => (BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(8)), BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(12)), r[14], r[15])),
            Is.EqualTo(new[] { (64u, Packets.Ipv4, (byte)6, (byte)1), (100u, Packets.Ipv4, (byte)17, (byte)1), (4u, (ushort)0, (byte)0, (byte)2) }));
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(records[0]), Is.Not.Zero, "timestamp");
        Assert.That(obj.Variable("packets_seen").Get<ulong>(), Is.EqualTo(4));
    }

    private static List<byte[]> ConsumeAll(BpfMap map)
    {
        var records = new List<byte[]>();
        ((RingBufferMap)map).Consume(record => records.Add(record.ToArray()));
        return records;
    }
}
