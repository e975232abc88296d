using System.Runtime.CompilerServices;

namespace Bpf.Runtime.Contexts;

/// <summary>
/// XDP programs: the context is <c>struct xdp_md</c>, the packet lives in a frame with headroom
/// before it (for <c>bpf_xdp_adjust_head</c>/<c>_meta</c>) and tailroom after it (for
/// <c>bpf_xdp_adjust_tail</c>), and the program returns an action. <see cref="Run"/> gives a
/// program a packet and returns the action and the packet as the program left it.
/// </summary>
public static unsafe class XdpContext
{
    /// <summary>The headroom Linux gives XDP programs (<c>XDP_PACKET_HEADROOM</c>).</summary>
    public const int DefaultHeadroom = 256;

    /// <summary>The tailroom this runtime gives by default, enough for <c>bpf_xdp_adjust_tail</c> to grow a packet.</summary>
    public const int DefaultTailroom = 256;

    /// <summary>The Ethernet header length: a packet cannot shrink below it.</summary>
    internal const int EthernetHeaderLength = 14;

    // The runtime's structure: struct xdp_md (24 bytes), then the real pointers and the frame bounds.
    internal const int DataOffset = 24;
    internal const int DataEndOffset = 32;
    internal const int DataMetaOffset = 40;
    internal const int HardStartOffset = 48;
    internal const int FrameEndOffset = 56;
    internal const int NativeSize = 64;

    /// <summary>The layout of <c>struct xdp_md</c>.</summary>
    public static ContextLayout Layout { get; } = new("xdp_md", 24, NativeSize,
    [
        new ContextField("data", 0, 4, Pointer: ContextPointer.PacketStart, NativeOffset: DataOffset),
        new ContextField("data_end", 4, 4, Pointer: ContextPointer.PacketEnd, NativeOffset: DataEndOffset),
        new ContextField("data_meta", 8, 4, Pointer: ContextPointer.PacketMeta, NativeOffset: DataMetaOffset),
        new ContextField("ingress_ifindex", 12, 4),
        new ContextField("rx_queue_index", 16, 4),
        new ContextField("egress_ifindex", 20, 4),
    ]);

    /// <summary>
    /// Runs an XDP program on a copy of <paramref name="packet"/> and returns its action and the
    /// packet after it (moved, grown or shrunk by the adjust helpers, rewritten in place).
    /// </summary>
    /// <param name="program">A prepared XDP program.</param>
    /// <param name="packet">The packet, from its Ethernet header.</param>
    /// <param name="metadata">The interface and queue the program sees; defaults to interface 1, queue 0.</param>
    /// <param name="headroom">Bytes before the packet the program may grow into.</param>
    /// <param name="tailroom">Bytes after the packet the program may grow into.</param>
    public static XdpResult Run(BpfExecutable program, ReadOnlySpan<byte> packet, XdpMetadata? metadata = null, int headroom = DefaultHeadroom, int tailroom = DefaultTailroom)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfNegative(tailroom);
        metadata ??= XdpMetadata.Default;

        int frameSize = headroom + packet.Length + tailroom;
        var frame = GC.AllocateUninitializedArray<byte>(frameSize, pinned: true);
        frame.AsSpan(0, headroom).Clear();
        packet.CopyTo(frame.AsSpan(headroom));
        frame.AsSpan(headroom + packet.Length).Clear();

        byte* context = stackalloc byte[NativeSize];
        new Span<byte>(context, NativeSize).Clear();
        fixed (byte* start = frame)
        {
            byte* data = start + headroom;
            Field<uint>(context, 12) = metadata.IngressIfindex;
            Field<uint>(context, 16) = metadata.RxQueueIndex;
            Field<uint>(context, 20) = metadata.EgressIfindex;
            Field<ulong>(context, DataOffset) = (ulong)data;
            Field<ulong>(context, DataEndOffset) = (ulong)(data + packet.Length);
            Field<ulong>(context, DataMetaOffset) = (ulong)data;
            Field<ulong>(context, HardStartOffset) = (ulong)start;
            Field<ulong>(context, FrameEndOffset) = (ulong)(start + frameSize);

            var invocation = Invocation.Rent(program.Options);
            ulong r0;
            try
            {
                invocation.AddRegion((nint)context, NativeSize, writable: false);
                invocation.AddRegion((nint)start, frameSize, writable: true);
                invocation.ContextAddress = (nint)context;
                r0 = program.Run((ulong)context, 0, 0, 0, 0, invocation);
            }
            finally
            {
                Invocation.Return(invocation);
            }

            byte* finalData = (byte*)Field<ulong>(context, DataOffset);
            byte* finalEnd = (byte*)Field<ulong>(context, DataEndOffset);
            var result = new ReadOnlySpan<byte>(finalData, (int)(finalEnd - finalData)).ToArray();
            var action = r0 <= (ulong)XdpAction.Redirect ? (XdpAction)r0 : XdpAction.Aborted;
            return new XdpResult(action, r0, result, (int)(finalData - start) - headroom);
        }
    }

    /// <summary>A field of the runtime's structure.</summary>
    internal static ref T Field<T>(byte* context, int offset)
        where T : unmanaged => ref Unsafe.AsRef<T>(context + offset);
}

/// <summary>XDP actions (<c>enum xdp_action</c>).</summary>
public enum XdpAction : uint
{
    /// <summary><c>XDP_ABORTED</c>: an error; also what an unknown return value means.</summary>
    Aborted = 0,
    /// <summary><c>XDP_DROP</c>.</summary>
    Drop = 1,
    /// <summary><c>XDP_PASS</c>: on to the network stack.</summary>
    Pass = 2,
    /// <summary><c>XDP_TX</c>: back out of the interface it came in on.</summary>
    Tx = 3,
    /// <summary><c>XDP_REDIRECT</c>.</summary>
    Redirect = 4,
}

/// <summary>What an XDP program sees of where its packet came from.</summary>
/// <param name="IngressIfindex">The interface index (<c>ingress_ifindex</c>).</param>
/// <param name="RxQueueIndex">The receive queue (<c>rx_queue_index</c>).</param>
/// <param name="EgressIfindex">The egress interface for devmap programs (<c>egress_ifindex</c>).</param>
public sealed record XdpMetadata(uint IngressIfindex = 1, uint RxQueueIndex = 0, uint EgressIfindex = 0)
{
    /// <summary>Interface 1, queue 0.</summary>
    public static XdpMetadata Default { get; } = new();
}

/// <summary>The outcome of an XDP program.</summary>
/// <param name="Action">The action, <see cref="XdpAction.Aborted"/> for a value Linux does not know.</param>
/// <param name="ReturnValue">r0 as the program returned it.</param>
/// <param name="Packet">The packet after the program: from <c>data</c> to <c>data_end</c>.</param>
/// <param name="HeadAdjustment">How far the start moved: negative when the program grew the head.</param>
public sealed record XdpResult(XdpAction Action, ulong ReturnValue, byte[] Packet, int HeadAdjustment);
