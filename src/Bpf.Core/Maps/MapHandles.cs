namespace Bpf.Maps;

/// <summary>
/// The values programs hold for maps (what <c>lddw r1, map</c> loads and helpers receive), and the
/// way back from such a value to the map. A handle is not a pointer: a program can pass any
/// number where a map is expected, so helpers look the number up here and get null for anything
/// that is not a live map. Each handle carries a generation, so the handle of a disposed map
/// never finds the map that later reuses its slot.
/// </summary>
internal static class MapHandles
{
    private const ulong Tag = 0xB9F0_0000_0000_0000;
    private const ulong TagMask = 0xFFF0_0000_0000_0000;
    private const int SlotBits = 24;
    private const ulong SlotMask = (1UL << SlotBits) - 1;
    private const ulong GenerationMask = (1UL << 28) - 1;

    private static readonly object s_gate = new();
    private static Entry[] s_entries = new Entry[64];
    private static readonly Stack<int> s_free = new();
    private static int s_used;

    private struct Entry
    {
        public BpfMap? Map;
        public uint Generation;
    }

    /// <summary>Gives <paramref name="map"/> a handle.</summary>
    public static ulong Register(BpfMap map)
    {
        lock (s_gate)
        {
            int slot;
            if (s_free.Count > 0)
            {
                slot = s_free.Pop();
            }
            else
            {
                if (s_used == s_entries.Length)
                {
                    if ((ulong)s_entries.Length * 2 > SlotMask)
                        throw new InvalidOperationException("too many maps are alive at once");
                    var bigger = new Entry[s_entries.Length * 2];
                    Array.Copy(s_entries, bigger, s_entries.Length);
                    Volatile.Write(ref s_entries, bigger);
                }

                slot = s_used++;
            }

            ref var entry = ref s_entries[slot];
            entry.Generation = (uint)((entry.Generation + 1) & GenerationMask);
            Volatile.Write(ref entry.Map, map);
            return Tag | ((ulong)entry.Generation << SlotBits) | (uint)slot;
        }
    }

    /// <summary>Forgets a map's handle; the slot is reused with a new generation.</summary>
    public static void Unregister(ulong handle)
    {
        lock (s_gate)
        {
            int slot = (int)(handle & SlotMask);
            if (Find(handle) is null)
                return;
            Volatile.Write(ref s_entries[slot].Map, null);
            s_free.Push(slot);
        }
    }

    /// <summary>The live map with handle <paramref name="handle"/>, or null.</summary>
    public static BpfMap? Find(ulong handle)
    {
        if ((handle & TagMask) != Tag)
            return null;
        var entries = Volatile.Read(ref s_entries);
        ulong slot = handle & SlotMask;
        if (slot >= (ulong)entries.Length)
            return null;
        ref var entry = ref entries[slot];
        var map = Volatile.Read(ref entry.Map);
        return map is not null && entry.Generation == ((handle >> SlotBits) & GenerationMask) ? map : null;
    }
}
