namespace Bpf.Runtime.Contexts;

/// <summary>What a context field that holds a packet pointer points to.</summary>
public enum ContextPointer
{
    /// <summary>Not a pointer field.</summary>
    None,
    /// <summary>The first byte of the packet (<c>data</c>).</summary>
    PacketStart,
    /// <summary>One past the last byte of the packet (<c>data_end</c>).</summary>
    PacketEnd,
    /// <summary>The first byte of the packet's metadata (<c>data_meta</c>).</summary>
    PacketMeta,
}
