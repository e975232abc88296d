using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpf.Maps;

/// <summary>
/// The host layout of a per-CPU value (the kernel's user-space API): one value per CPU slot, each
/// starting at a multiple of the value size rounded up to 8.
/// </summary>
internal static class PerCpuValues
{
    /// <summary>The distance between slots of a value of <paramref name="valueSize"/> bytes.</summary>
    public static int Stride(int valueSize) => (valueSize + 7) & ~7;

    /// <summary>Lays <paramref name="values"/> (one per slot) out in host form.</summary>
    /// <exception cref="ArgumentException">There is not exactly one value per CPU slot.</exception>
    public static byte[] Pack<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (values.Length != CpuSlots.Count)
            throw new ArgumentException($"a per-CPU value needs one value per CPU slot ({CpuSlots.Count}), not {values.Length}", nameof(values));
        int stride = Stride(Unsafe.SizeOf<T>());
        var host = new byte[stride * values.Length];
        for (int slot = 0; slot < values.Length; slot++)
            MemoryMarshal.Write(host.AsSpan(slot * stride), in values[slot]);
        return host;
    }

    /// <summary>The values of every slot in a host-form buffer.</summary>
    public static T[] Unpack<T>(ReadOnlySpan<byte> host)
        where T : unmanaged
    {
        int stride = Stride(Unsafe.SizeOf<T>());
        var values = new T[CpuSlots.Count];
        for (int slot = 0; slot < values.Length; slot++)
            values[slot] = MemoryMarshal.Read<T>(host[(slot * stride)..]);
        return values;
    }
}
