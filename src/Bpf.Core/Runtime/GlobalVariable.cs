using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpf.Maps;

namespace Bpf.Runtime;

/// <summary>
/// A global variable of an object: a range of a global data map's single value. Hosts set
/// <c>.rodata</c> variables (a program's configuration) before the first program is prepared, after
/// which <c>.rodata</c> is frozen, as libbpf skeletons do; <c>.data</c> and <c>.bss</c> variables
/// stay readable and writable by programs and the host.
/// </summary>
public sealed unsafe class GlobalVariable
{
    internal GlobalVariable(string name, ArrayMap map, int offset, int size, bool isStatic)
    {
        Name = name;
        Map = map;
        Offset = offset;
        Size = size;
        IsStatic = isStatic;
    }

    /// <summary>The variable's name.</summary>
    public string Name { get; }

    /// <summary>The global data map that holds it.</summary>
    public ArrayMap Map { get; }

    /// <summary>The data section: the map's name (<c>.data</c>, <c>.rodata</c>, <c>.bss</c>...).</summary>
    public string Section => Map.Name;

    /// <summary>Its offset in the section.</summary>
    public int Offset { get; }

    /// <summary>Its size in bytes.</summary>
    public int Size { get; }

    /// <summary>True for a <c>static</c> variable.</summary>
    public bool IsStatic { get; }

    /// <summary>True when the host can no longer change it (a frozen <c>.rodata</c>).</summary>
    public bool IsReadOnly => Map.IsFrozen;

    /// <summary>The variable's bytes, read-only.</summary>
    public ReadOnlySpan<byte> Bytes => Map.ValueAt(0).Slice(Offset, Size);

    /// <summary>Reads the variable as a <typeparamref name="T"/> (which must not be larger than the variable).</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is larger than the variable.</exception>
    public T Get<T>()
        where T : unmanaged
    {
        CheckSize<T>();
        return MemoryMarshal.Read<T>(Bytes);
    }

    /// <summary>Writes the variable (all of it when <typeparamref name="T"/> is its size, else its first bytes).</summary>
    /// <exception cref="InvalidOperationException">The variable is in a frozen <c>.rodata</c>: set configuration before the first program is prepared.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is larger than the variable.</exception>
    public void Set<T>(T value)
        where T : unmanaged
    {
        CheckSize<T>();
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value));
        SetBytes(bytes);
    }

    /// <summary>Writes the variable's first <paramref name="bytes"/>.Length bytes.</summary>
    /// <exception cref="InvalidOperationException">The variable is in a frozen <c>.rodata</c>.</exception>
    /// <exception cref="ArgumentException">More bytes than the variable holds.</exception>
    public void SetBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > Size)
            throw new ArgumentException($"variable {Name} is {Size} bytes; {bytes.Length} do not fit", nameof(bytes));
        if (Map.IsFrozen)
            throw new InvalidOperationException($"variable {Name} is in {Section}, which was frozen when the first program was prepared; set configuration before that");
        bytes.CopyTo(Map.ValueAt(0).Slice(Offset, Size));
    }

    private void CheckSize<T>()
        where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() > Size)
            throw new ArgumentException($"variable {Name} is {Size} bytes, smaller than {typeof(T).Name} ({Unsafe.SizeOf<T>()} bytes)");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Section}:{Name} ({Size} bytes at {Offset})";
}
