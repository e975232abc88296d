using System.Buffers.Binary;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Maps;

/// <summary>
/// samples/bpf/ringbuf_events.c from its object on every engine: reserved records for IPv4 packets,
/// discarded ones for the rest, and an output copy every fourth packet, as the C source means.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class RingBufferSampleTests(string engineName)
{
    /// <summary>The sample's <c>struct packet_event</c>.</summary>
    internal readonly record struct PacketEvent(ulong TimestampNs, uint Length, ushort EtherType, byte IpProtocol, byte Kind)
    {
        public static PacketEvent Read(ReadOnlySpan<byte> record) => new(
            BinaryPrimitives.ReadUInt64LittleEndian(record),
            BinaryPrimitives.ReadUInt32LittleEndian(record[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(record[12..]),
            record[14],
            record[15]);
    }

    [Test]
    public void PacketsBecomeEventsInOrder()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("ringbuf_events"));
        var program = obj.Programs["report_packets"].Prepare(Engines.Get(engineName));
        var ring = (RingBufferMap)obj.Map("events");
        byte[][] packets =
        [
            Packets.Ipv4To("10.0.0.1", protocol: 6, length: 60),
            Packets.Ethernet(Packets.Arp, 42),
            Packets.Ethernet(Packets.Ipv6, 80),
            Packets.Ipv4To("10.0.0.2", protocol: 17, length: 100),
            new byte[10], // shorter than an Ethernet header: no event at all
        ];
        foreach (var packet in packets)
            Assert.That(XdpContext.Run(program, packet).Action, Is.EqualTo(XdpAction.Pass));

        var events = new List<(PacketEvent Event, int Size)>();
        ring.Consume(record => events.Add((PacketEvent.Read(record), record.Length)));
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e with { Event = e.Event with { TimestampNs = 0 } }), Is.EqualTo(new[]
            {
                (new PacketEvent(0, 60, Packets.Ipv4, 6, 1), 16),
                (new PacketEvent(0, 100, Packets.Ipv4, 17, 1), 16),
                (new PacketEvent(0, 4, 0, 0, 2), 16),
            }));
            Assert.That(events[0].Event.TimestampNs, Is.Not.Zero.And.LessThanOrEqualTo(events[1].Event.TimestampNs));
            Assert.That(events[2].Event.TimestampNs, Is.Zero, "the summary's timestamp is not set");
            Assert.That(ring.ProducerPosition, Is.EqualTo(5UL * 24), "four reservations (two discarded) and one output of 16 + 8 bytes");
            Assert.That(ring.ConsumerPosition, Is.EqualTo(ring.ProducerPosition));
            Assert.That(obj.Variable("packets_seen").Get<ulong>(), Is.EqualTo(5UL));
        });
    }
}
