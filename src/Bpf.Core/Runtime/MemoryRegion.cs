namespace Bpf.Runtime;

/// <summary>A range of memory a program may access in checked mode.</summary>
/// <param name="Start">The first byte.</param>
/// <param name="Length">The number of bytes.</param>
/// <param name="Writable">True if stores and atomics may target it.</param>
public readonly record struct MemoryRegion(nint Start, nint Length, bool Writable)
{
    /// <summary>True if <paramref name="size"/> bytes at <paramref name="address"/> lie inside the region.</summary>
    public bool Contains(ulong address, int size) =>
        address - (ulong)Start <= (ulong)Length && (ulong)Length - (address - (ulong)Start) >= (ulong)size;
}
