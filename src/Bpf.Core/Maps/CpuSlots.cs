namespace Bpf.Maps;

/// <summary>
/// The "CPUs" of per-CPU maps. In the kernel a program runs on one CPU with preemption off, so a
/// per-CPU value is never touched by two programs at once. Here a run leases a slot for as long as
/// it runs, starting from the processor it is on, and no other run holds that slot meanwhile; per-CPU
/// maps keep one value per slot and <c>bpf_get_smp_processor_id</c> returns the slot.
/// </summary>
public static class CpuSlots
{
    /// <summary>The number of slots: the processor count, as per-CPU maps size themselves.</summary>
    public static int Count { get; } = Environment.ProcessorCount;

    // One flag per 64-byte line, so slots leased on different processors do not share a line.
    // (Declared after Count: static initializers run in text order.)
    private static readonly int[] s_leased = new int[Count * 16];

    /// <summary>Leases a free slot, preferring the current processor's; waits while all are leased.</summary>
    public static int Lease()
    {
        int start = Thread.GetCurrentProcessorId() % Count;
        var spinner = default(SpinWait);
        while (true)
        {
            for (int i = 0; i < Count; i++)
            {
                int slot = (start + i) % Count;
                if (Interlocked.CompareExchange(ref s_leased[slot * 16], 1, 0) == 0)
                    return slot;
            }

            spinner.SpinOnce();
        }
    }

    /// <summary>Gives a leased slot back.</summary>
    public static void Release(int slot) => Volatile.Write(ref s_leased[slot * 16], 0);
}
