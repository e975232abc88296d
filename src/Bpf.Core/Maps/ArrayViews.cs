namespace Bpf.Maps;

/// <summary>Typed views of array maps.</summary>
public static class ArrayViews
{
    /// <summary>A typed view of the values (<typeparamref name="T"/> must be exactly <see cref="BpfMap.ValueSize"/> bytes).</summary>
    /// <exception cref="ArgumentException">The size of <typeparamref name="T"/> is not the value size.</exception>
    public static ArrayView<T> AsArray<T>(this ArrayMap map)
        where T : unmanaged => new(map);
}
