using System.Buffers;

namespace Bpf.Maps;

/// <summary>Arena pages as <see cref="Memory{T}"/>: unmanaged memory that needs no pinning and owns nothing.</summary>
internal sealed unsafe class ArenaMemoryManager(nint start, int length) : MemoryManager<byte>
{
    /// <inheritdoc/>
    public override Span<byte> GetSpan() => new((void*)start, length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle((byte*)start + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }
}
