using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Helpers;

/// <summary>
/// The XDP helpers that move the packet's bounds inside its frame, with Linux's limits: the head
/// may grow into the headroom (leaving room for the metadata), the packet never shrinks below an
/// Ethernet header, the tail may grow into the tailroom (zeroed), metadata is at most 32 bytes in
/// multiples of 4. The context argument must be the context the program was given.
/// </summary>
public static unsafe class XdpHelpers
{
    private const int MaxMetadataLength = 32;

    /// <summary><c>bpf_xdp_adjust_head(ctx, delta)</c> (helper 44): moves the packet's start by <paramref name="r2"/> (a signed 32-bit delta).</summary>
    public static ulong AdjustHead(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (!IsXdpContext(r1, invocation))
            return Errno.Negative(Errno.EINVAL);
        byte* context = (byte*)r1;
        int delta = (int)r2;
        byte* hardStart = Pointer(context, XdpContext.HardStartOffset);
        byte* data = Pointer(context, XdpContext.DataOffset);
        byte* meta = Pointer(context, XdpContext.DataMetaOffset);
        byte* end = Pointer(context, XdpContext.DataEndOffset);
        long metaLength = data - meta;
        byte* newData = data + delta;
        if (newData < hardStart + metaLength || newData > end - XdpContext.EthernetHeaderLength)
            return Errno.Negative(Errno.EINVAL);
        if (metaLength > 0)
            Buffer.MemoryCopy(meta, meta + delta, metaLength, metaLength);
        SetPointer(context, XdpContext.DataMetaOffset, meta + delta);
        SetPointer(context, XdpContext.DataOffset, newData);
        return 0;
    }

    /// <summary><c>bpf_xdp_adjust_meta(ctx, delta)</c> (helper 54): moves the start of the metadata by <paramref name="r2"/>.</summary>
    public static ulong AdjustMeta(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (!IsXdpContext(r1, invocation))
            return Errno.Negative(Errno.EINVAL);
        byte* context = (byte*)r1;
        byte* hardStart = Pointer(context, XdpContext.HardStartOffset);
        byte* data = Pointer(context, XdpContext.DataOffset);
        byte* newMeta = Pointer(context, XdpContext.DataMetaOffset) + (int)r2;
        if (newMeta < hardStart || newMeta > data)
            return Errno.Negative(Errno.EINVAL);
        long length = data - newMeta;
        if (length > MaxMetadataLength || length % 4 != 0)
            return Errno.Negative(13); // EACCES, as Linux answers an invalid metadata length
        SetPointer(context, XdpContext.DataMetaOffset, newMeta);
        return 0;
    }

    /// <summary><c>bpf_xdp_adjust_tail(ctx, delta)</c> (helper 65): moves the packet's end by <paramref name="r2"/>; grown bytes are zero.</summary>
    public static ulong AdjustTail(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (!IsXdpContext(r1, invocation))
            return Errno.Negative(Errno.EINVAL);
        byte* context = (byte*)r1;
        int delta = (int)r2;
        byte* data = Pointer(context, XdpContext.DataOffset);
        byte* end = Pointer(context, XdpContext.DataEndOffset);
        byte* frameEnd = Pointer(context, XdpContext.FrameEndOffset);
        byte* newEnd = end + delta;
        if (delta > 0)
        {
            if (newEnd > frameEnd)
                return Errno.Negative(Errno.EINVAL);
            new Span<byte>(end, delta).Clear();
        }
        else if (newEnd < data + XdpContext.EthernetHeaderLength)
        {
            return Errno.Negative(Errno.EINVAL);
        }

        SetPointer(context, XdpContext.DataEndOffset, newEnd);
        return 0;
    }

    // Only the context the runner built has the frame bounds these helpers trust.
    private static bool IsXdpContext(ulong r1, Invocation invocation) =>
        invocation.ContextAddress != 0 && r1 == (ulong)invocation.ContextAddress
        && invocation.Program?.Image.Type.Context == XdpContext.Layout;

    private static byte* Pointer(byte* context, int offset) => (byte*)XdpContext.Field<ulong>(context, offset);

    private static void SetPointer(byte* context, int offset, byte* value) => XdpContext.Field<ulong>(context, offset) = (ulong)value;
}
