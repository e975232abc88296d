// The embedding API in one page. Usage: HostApp [SAMPLES_DIR] (default samples/bpf).
using System.Runtime.InteropServices;
using Bpf.Maps;
using Bpf.Runtime;

string samples = args.Length > 0 ? args[0] : Path.Combine("samples", "bpf");
byte[][] packets = [Packet(0x0800, 60), Packet(0x86DD, 80), Packet(0x0800, 1600), Packet(0x0806, 42)];

// Configuration lives in .rodata: set it before the first Compile(), which verifies the program,
// JIT-compiles it and freezes .rodata.
using (var config = BpfObject.Load(Path.Combine(samples, "config.o")))
{
    config.Variable("max_length").Set(1500u);
    config.Variable("drop_ipv6").Set((byte)1);
    var filter = config.Programs["filter_by_config"].Compile();
    foreach (var packet in packets)
        Console.WriteLine($"filter {packet.Length} bytes: {filter.RunXdp(packet).Action}");
    Console.WriteLine($"passed {config.Variable("passed").Get<ulong>()}, dropped {config.Variable("dropped").Get<ulong>()}");
}

// A hash map read through a typed view.
using (var counter = BpfObject.Load(Path.Combine(samples, "xdp_counter.o")))
{
    var count = counter.Programs["count_packets"].Compile();
    foreach (var packet in packets)
        count.RunXdp(packet);
    foreach (var (etherType, packetCount) in counter.Map("packets_by_ethertype").AsHash<ushort, ulong>().OrderBy(e => e.Key))
        Console.WriteLine($"ethertype 0x{etherType:x4}: {packetCount} packets");
}

// A ring buffer consumed as an IAsyncEnumerable; `using` disposes the object and frees its maps.
using var events = BpfObject.Load(Path.Combine(samples, "ringbuf_events.o"));
var report = events.Programs["report_packets"].Compile();
foreach (var packet in packets)
    report.RunXdp(packet);
var ring = events.Map<RingBufferMap>("events");
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
await foreach (var record in ring.ReadAllAsync(timeout.Token))
{
    var e = MemoryMarshal.Read<PacketEvent>(record);
    Console.WriteLine($"event kind {e.Kind}: length {e.Length}, ethertype 0x{e.EtherType:x4}, protocol {e.IpProtocol}");
    if (ring.AvailableData == 0)
        break;
}

static byte[] Packet(ushort etherType, int length)
{
    var packet = new byte[length];
    packet[12] = (byte)(etherType >> 8);
    packet[13] = (byte)etherType;
    return packet;
}

/// <summary>struct packet_event of ringbuf_events.c.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct PacketEvent(ulong TimestampNs, uint Length, ushort EtherType, byte IpProtocol, byte Kind);
