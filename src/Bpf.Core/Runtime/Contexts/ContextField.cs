namespace Bpf.Runtime.Contexts;

/// <summary>One field of a context structure as programs see it.</summary>
/// <param name="Name">The C name (<c>data_end</c>).</param>
/// <param name="Offset">The byte offset programs use.</param>
/// <param name="Size">The size programs see (4 for a packet pointer field, as in the kernel's uapi).</param>
/// <param name="Writable">True if programs may store to it.</param>
/// <param name="Pointer">For packet pointer fields, what they point to; programs read them as real
/// 64-bit pointers, which the runtime keeps at <paramref name="NativeOffset"/>.</param>
/// <param name="NativeOffset">Where the runtime keeps the 64-bit pointer of a pointer field; the field's offset otherwise.</param>
public sealed record ContextField(string Name, int Offset, int Size, bool Writable = false, ContextPointer Pointer = ContextPointer.None, int NativeOffset = -1)
{
    /// <summary>Where the runtime keeps the field's value.</summary>
    public int StorageOffset => NativeOffset >= 0 ? NativeOffset : Offset;
}
