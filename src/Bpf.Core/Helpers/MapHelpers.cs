using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The helpers that operate on a map through its handle (r1): lookup, update, delete, the queue and
/// stack operations, per-CPU lookup and iteration. Each hands the work to the map's program
/// operations (<see cref="BpfMap.Lookup"/>...), which carry the kernel's semantics and errors. A value
/// that is not a live map's handle gets <c>-EINVAL</c> (or a null pointer from a lookup) instead of a
/// crash, so an unverified program cannot confuse the host. In checked mode the key and value
/// pointers must lie in memory the program may read or write.
/// </summary>
public static class MapHelpers
{
    /// <summary><c>bpf_map_lookup_elem(map, key)</c> (helper 1): a pointer to the value, or 0.</summary>
    public static ulong Lookup(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return 0;
        nint value = map.Lookup(invocation.HelperRead(r2, map.KeySize), invocation);
        if (value != 0)
            invocation.AllowMapAccess(map); // a map reached through another (map-in-map) is new to checked mode
        return (ulong)value;
    }

    /// <summary><c>bpf_map_update_elem(map, key, value, flags)</c> (helper 2): 0 or a negative errno.</summary>
    public static ulong Update(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return Errno.Negative(Errno.EINVAL);
        nint key = invocation.HelperRead(r2, map.KeySize);
        nint value = invocation.HelperRead(r3, map.ValueSize);
        return (ulong)map.Update(key, value, (MapUpdateFlags)r4, invocation);
    }

    /// <summary><c>bpf_map_delete_elem(map, key)</c> (helper 3): 0 or a negative errno.</summary>
    public static ulong Delete(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return Errno.Negative(Errno.EINVAL);
        return (ulong)map.Delete(invocation.HelperRead(r2, map.KeySize), invocation);
    }

    /// <summary><c>bpf_map_push_elem(map, value, flags)</c> (helper 87): queues, stacks and bloom filters.</summary>
    public static ulong Push(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return Errno.Negative(Errno.EINVAL);
        return (ulong)map.Push(invocation.HelperRead(r2, map.ValueSize), (MapUpdateFlags)r3, invocation);
    }

    /// <summary><c>bpf_map_pop_elem(map, value)</c> (helper 88): copies the next value out and removes it.</summary>
    public static ulong Pop(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return Errno.Negative(Errno.EINVAL);
        return (ulong)map.Pop(invocation.HelperWrite(r2, map.ValueSize), invocation);
    }

    /// <summary>
    /// <c>bpf_map_peek_elem(map, value)</c> (helper 89): copies the next value out without removing it;
    /// for a bloom filter, 0 when the value may be present and <c>-ENOENT</c> when it is not.
    /// </summary>
    public static ulong Peek(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return Errno.Negative(Errno.EINVAL);
        nint value = map.Type == BpfMapType.BloomFilter
            ? invocation.HelperRead(r2, map.ValueSize)
            : invocation.HelperWrite(r2, map.ValueSize);
        return (ulong)map.Peek(value, invocation);
    }

    /// <summary><c>bpf_map_lookup_percpu_elem(map, key, cpu)</c> (helper 195): the value of CPU slot <paramref name="r3"/>, or 0.</summary>
    public static ulong LookupOnCpu(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map)
            return 0;
        nint value = map.LookupOnCpu(invocation.HelperRead(r2, map.KeySize), (uint)r3, invocation);
        if (value != 0)
            invocation.AllowMapAccess(map);
        return (ulong)value;
    }

    /// <summary>
    /// <c>bpf_for_each_map_elem(map, callback, callback_ctx, flags)</c> (helper 164): calls the program's
    /// function <c>callback(map, key, value, callback_ctx)</c> for each element until it returns
    /// non-zero; returns the number of elements visited. Flags must be 0.
    /// </summary>
    public static ulong ForEach(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not { } map || r4 != 0)
            return Errno.Negative(Errno.EINVAL);
        invocation.AllowMapAccess(map);
        return (ulong)map.ForEach((key, value) => invocation.CallFunction(r2, r1, (ulong)key, (ulong)value, r3, 0), invocation);
    }
}
