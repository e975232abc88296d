namespace Bpf.Runtime.Contexts;

/// <summary>
/// How a program type's context looks to programs (the uapi structure: <c>struct xdp_md</c>,
/// <c>struct __sk_buff</c>, or one a host defines) and how the runtime lays it out in memory. The
/// runtime's structure is the uapi one followed by the real 64-bit values of the packet pointer
/// fields, which the uapi declares as 32-bit: loads of those fields are translated to 64-bit loads
/// of the hidden values, as Linux translates context accesses.
/// </summary>
public sealed class ContextLayout
{
    /// <summary>Describes a layout.</summary>
    /// <param name="name">The C structure's name.</param>
    /// <param name="size">The size programs see.</param>
    /// <param name="nativeSize">The size of the runtime's structure (at least <paramref name="size"/>).</param>
    /// <param name="fields">The fields programs may access.</param>
    public ContextLayout(string name, int size, int nativeSize, IReadOnlyList<ContextField> fields)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nativeSize, size);
        Name = name;
        Size = size;
        NativeSize = nativeSize;
        Fields = fields;
    }

    /// <summary>The C structure's name.</summary>
    public string Name { get; }

    /// <summary>The size programs see.</summary>
    public int Size { get; }

    /// <summary>The size of the runtime's structure: the uapi structure and the hidden pointer values after it.</summary>
    public int NativeSize { get; }

    /// <summary>The fields programs may access.</summary>
    public IReadOnlyList<ContextField> Fields { get; }

    /// <summary>True if some field holds a packet pointer, so accesses must be translated.</summary>
    public bool HasPointerFields => Fields.Any(f => f.Pointer != ContextPointer.None);

    /// <summary>The field named <paramref name="name"/>.</summary>
    public ContextField this[string name] =>
        Fields.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"{Name} has no field {name}");

    /// <summary>The field that contains byte <paramref name="offset"/>, or null.</summary>
    public ContextField? FieldAt(int offset) => Fields.FirstOrDefault(f => offset >= f.Offset && offset < f.Offset + f.Size);

    /// <summary>A layout of <paramref name="size"/> bytes a host defines: every byte readable, the given ranges writable, no pointer fields.</summary>
    public static ContextLayout Struct(string name, int size, params (int Offset, int Size)[] writable)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var fields = new List<ContextField>();
        int at = 0;
        foreach (var (offset, length) in writable.OrderBy(w => w.Offset))
        {
            if (offset < at || offset + length > size)
                throw new ArgumentException($"writable range [{offset}, {offset + length}) overlaps another or leaves the {size}-byte context", nameof(writable));
            if (offset > at)
                fields.Add(new ContextField($"bytes_{at}", at, offset - at));
            fields.Add(new ContextField($"writable_{offset}", offset, length, Writable: true));
            at = offset + length;
        }

        if (at < size)
            fields.Add(new ContextField($"bytes_{at}", at, size - at));
        return new ContextLayout(name, size, size, fields);
    }
}
