namespace Bpf.Maps;

/// <summary>
/// The live ring buffers by the address of their data, so that <c>bpf_ringbuf_submit</c> and
/// <c>bpf_ringbuf_discard</c>, which get only a record's address from the program (the kernel finds
/// the ring from the record's header), find the ring without reading memory the address may not be in.
/// </summary>
internal static class RingBufferRegistry
{
    private static readonly Lock s_gate = new();
    private static Entry[] s_entries = [];

    private readonly record struct Entry(RingBufferMap Map, ulong Start, ulong Length);

    /// <summary>Records that <paramref name="length"/> bytes at <paramref name="start"/> are <paramref name="map"/>'s data.</summary>
    public static void Add(RingBufferMap map, nint start, nint length)
    {
        lock (s_gate)
            Volatile.Write(ref s_entries, [.. s_entries, new Entry(map, (ulong)start, (ulong)length)]);
    }

    /// <summary>Forgets <paramref name="map"/>.</summary>
    public static void Remove(RingBufferMap map)
    {
        lock (s_gate)
            Volatile.Write(ref s_entries, s_entries.Where(e => !ReferenceEquals(e.Map, map)).ToArray());
    }

    /// <summary>The ring whose data holds <paramref name="address"/>, or null.</summary>
    public static RingBufferMap? Find(ulong address)
    {
        foreach (var entry in Volatile.Read(ref s_entries))
        {
            if (address - entry.Start < entry.Length)
                return entry.Map;
        }

        return null;
    }
}
