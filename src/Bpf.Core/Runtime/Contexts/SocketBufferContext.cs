using System.Buffers.Binary;

namespace Bpf.Runtime.Contexts;

/// <summary>
/// Socket filter, tc (classifier and action) and cgroup skb programs: the context is
/// <c>struct __sk_buff</c>, with the fields that mean something in user space filled from the packet
/// and from <see cref="SocketBufferMetadata"/>. <see cref="Run"/> gives a program a packet and returns
/// its verdict, the packet (tc programs may rewrite it) and the fields it may set.
/// </summary>
public static unsafe class SocketBufferContext
{
    // The runtime's structure: struct __sk_buff (192 bytes), then the real packet pointers.
    internal const int DataOffset = 192;
    internal const int DataEndOffset = 200;
    internal const int DataMetaOffset = 208;
    internal const int NativeSize = 216;
    private const int Size = 192;

    /// <summary>The layout for socket filters: only <c>cb</c> is writable.</summary>
    public static ContextLayout SocketFilterLayout { get; } = Build(tc: false);

    /// <summary>The layout for tc programs: <c>mark</c>, <c>priority</c>, <c>queue_mapping</c>, <c>tc_index</c>, <c>cb</c>, <c>tc_classid</c> and <c>tstamp</c> are writable.</summary>
    public static ContextLayout TcLayout { get; } = Build(tc: true);

    /// <summary>
    /// Runs a program on a copy of <paramref name="packet"/>. The packet is writable when the program
    /// type lets programs write packets (tc), read-only otherwise.
    /// </summary>
    /// <param name="program">A prepared program of a socket-buffer type.</param>
    /// <param name="packet">The packet, from its Ethernet header.</param>
    /// <param name="metadata">What the program sees besides the packet; defaults to the packet's own facts.</param>
    public static SocketBufferResult Run(BpfExecutable program, ReadOnlySpan<byte> packet, SocketBufferMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        metadata ??= SocketBufferMetadata.Default;
        var layout = program.Image.Type.Context ?? TcLayout;
        bool packetWritable = layout["mark"].Writable;

        var buffer = GC.AllocateArray<byte>(Math.Max(packet.Length, 1), pinned: true);
        packet.CopyTo(buffer);
        byte* context = stackalloc byte[NativeSize];
        new Span<byte>(context, NativeSize).Clear();
        fixed (byte* data = buffer)
        {
            ushort etherType = packet.Length >= XdpContext.EthernetHeaderLength ? BinaryPrimitives.ReadUInt16BigEndian(packet[12..]) : (ushort)0;
            Set(context, "len", (uint)packet.Length);
            Set(context, "pkt_type", metadata.PacketType);
            Set(context, "mark", metadata.Mark);
            Set(context, "queue_mapping", metadata.QueueMapping);
            Set(context, "protocol", BinaryPrimitives.ReverseEndianness(etherType)); // __be16 in a u32, as Linux stores it
            Set(context, "priority", metadata.Priority);
            Set(context, "ingress_ifindex", metadata.IngressIfindex);
            Set(context, "ifindex", metadata.Ifindex);
            Set(context, "hash", metadata.Hash);
            Set(context, "wire_len", (uint)packet.Length);
            Set(context, "gso_segs", 1);
            XdpContext.Field<ulong>(context, DataOffset) = (ulong)data;
            XdpContext.Field<ulong>(context, DataEndOffset) = (ulong)(data + packet.Length);
            XdpContext.Field<ulong>(context, DataMetaOffset) = (ulong)data;

            var invocation = Invocation.Rent(program.Options);
            ulong r0;
            try
            {
                foreach (var field in layout.Fields)
                    invocation.AddRegion((nint)(context + field.Offset), field.Size, field.Writable);
                invocation.AddRegion((nint)(context + Size), NativeSize - Size, writable: false);
                invocation.AddRegion((nint)data, packet.Length, packetWritable);
                invocation.PacketStart = (nint)data;
                invocation.PacketLength = packet.Length;
                invocation.ContextAddress = (nint)context;
                r0 = program.Run((ulong)context, 0, 0, 0, 0, invocation);
            }
            finally
            {
                Invocation.Return(invocation);
            }

            var cb = new uint[5];
            for (int i = 0; i < cb.Length; i++)
                cb[i] = XdpContext.Field<uint>(context, 48 + 4 * i);
            return new SocketBufferResult(
                r0,
                buffer.AsSpan(0, packet.Length).ToArray(),
                Get(context, "mark"),
                Get(context, "priority"),
                Get(context, "tc_index"),
                Get(context, "tc_classid"),
                Get(context, "queue_mapping"),
                cb);
        }
    }

    private static void Set(byte* context, string field, uint value) => XdpContext.Field<uint>(context, TcLayout[field].Offset) = value;

    private static uint Get(byte* context, string field) => XdpContext.Field<uint>(context, TcLayout[field].Offset);

    private static ContextLayout Build(bool tc)
    {
        ContextField Field(string name, int offset, int size = 4, bool tcWritable = false) => new(name, offset, size, Writable: tc && tcWritable);
        return new ContextLayout("__sk_buff", Size, NativeSize,
        [
            Field("len", 0),
            Field("pkt_type", 4),
            Field("mark", 8, tcWritable: true),
            Field("queue_mapping", 12, tcWritable: true),
            Field("protocol", 16),
            Field("vlan_present", 20),
            Field("vlan_tci", 24),
            Field("vlan_proto", 28),
            Field("priority", 32, tcWritable: true),
            Field("ingress_ifindex", 36),
            Field("ifindex", 40),
            Field("tc_index", 44, tcWritable: true),
            new ContextField("cb", 48, 20, Writable: true),
            Field("hash", 68),
            Field("tc_classid", 72, tcWritable: true),
            new ContextField("data", 76, 4, Pointer: ContextPointer.PacketStart, NativeOffset: DataOffset),
            new ContextField("data_end", 80, 4, Pointer: ContextPointer.PacketEnd, NativeOffset: DataEndOffset),
            Field("napi_id", 84),
            Field("family", 88),
            Field("remote_ip4", 92),
            Field("local_ip4", 96),
            Field("remote_ip6", 100, 16),
            Field("local_ip6", 116, 16),
            Field("remote_port", 132),
            Field("local_port", 136),
            new ContextField("data_meta", 140, 4, Pointer: ContextPointer.PacketMeta, NativeOffset: DataMetaOffset),
            Field("flow_keys", 144, 8),
            Field("tstamp", 152, 8, tcWritable: true),
            Field("wire_len", 160),
            Field("gso_segs", 164),
            Field("sk", 168, 8),
            Field("gso_size", 176),
            Field("tstamp_type", 180, 1),
            Field("hwtstamp", 184, 8),
        ]);
    }
}

/// <summary>What a socket-buffer program sees besides the packet.</summary>
/// <param name="Mark">The packet mark.</param>
/// <param name="Priority">The queueing priority.</param>
/// <param name="PacketType">The packet type (<c>PACKET_HOST</c> = 0).</param>
/// <param name="IngressIfindex">The interface the packet arrived on.</param>
/// <param name="Ifindex">The interface the packet is on.</param>
/// <param name="QueueMapping">The queue mapping.</param>
/// <param name="Hash">The flow hash.</param>
public sealed record SocketBufferMetadata(uint Mark = 0, uint Priority = 0, uint PacketType = 0, uint IngressIfindex = 1, uint Ifindex = 1, uint QueueMapping = 0, uint Hash = 0)
{
    /// <summary>Interface 1, everything else zero.</summary>
    public static SocketBufferMetadata Default { get; } = new();
}

/// <summary>The outcome of a socket-buffer program.</summary>
/// <param name="ReturnValue">r0: for socket filters the bytes to keep, for tc the verdict (<c>TC_ACT_*</c>).</param>
/// <param name="Packet">The packet after the program.</param>
/// <param name="Mark">The mark after the program.</param>
/// <param name="Priority">The priority after the program.</param>
/// <param name="TcIndex">tc_index after the program.</param>
/// <param name="TcClassid">tc_classid after the program.</param>
/// <param name="QueueMapping">queue_mapping after the program.</param>
/// <param name="ControlBuffer">The five words of <c>cb</c> after the program.</param>
public sealed record SocketBufferResult(ulong ReturnValue, byte[] Packet, uint Mark, uint Priority, uint TcIndex, uint TcClassid, uint QueueMapping, uint[] ControlBuffer);
