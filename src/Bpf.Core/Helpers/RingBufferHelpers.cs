using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The ring buffer helpers (<see cref="RingBufferMap"/>): copy a record in, reserve one and fill it in
/// place, submit or discard it, and query the ring. A reserved record is the reserving run's memory
/// until it submits or discards it: in checked mode the run may touch those bytes, and only in that
/// window. A map argument that is not a live ring buffer gets the helper's failure value.
/// </summary>
public static class RingBufferHelpers
{
    private const ulong WakeupFlags = RingBufferLayout.NoWakeup | RingBufferLayout.ForceWakeup;

    /// <summary>
    /// <c>bpf_ringbuf_output(ringbuf, data, size, flags)</c> (helper 130): copies <paramref name="r3"/>
    /// bytes at <paramref name="r2"/> into a new record; 0, <c>-EAGAIN</c> when the ring has no room,
    /// <c>-EINVAL</c> for flags other than the wake-up ones.
    /// </summary>
    public static unsafe ulong Output(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not RingBufferMap ring || (r4 & ~WakeupFlags) != 0)
            return Errno.Negative(Errno.EINVAL);
        if (r3 > RingBufferLayout.MaxRecordSize || RingBufferLayout.RecordLength((uint)r3) > (ulong)ring.DataSize)
            return Errno.Negative(Errno.EAGAIN); // what the kernel answers when the reservation fails, before it reads the data
        nint data = invocation.HelperRead(r2, (long)r3);
        return (ulong)ring.Output(new ReadOnlySpan<byte>((void*)data, (int)r3), r4);
    }

    /// <summary>
    /// <c>bpf_ringbuf_reserve(ringbuf, size, flags)</c> (helper 131): the address of a new record's
    /// <paramref name="r2"/> bytes of data, or 0 when the ring has no room; flags must be 0.
    /// </summary>
    public static ulong Reserve(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not RingBufferMap ring || r3 != 0)
            return 0;
        nint record = ring.Reserve(r2);
        if (record != 0 && invocation.Options.Checked)
            invocation.AddRegion(record, (nint)r2, writable: true);
        return (ulong)record;
    }

    /// <summary><c>bpf_ringbuf_submit(data, flags)</c> (helper 132): commits the record whose data is at <paramref name="r1"/>.</summary>
    public static ulong Submit(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        Commit(r1, discard: false, r2, invocation);

    /// <summary><c>bpf_ringbuf_discard(data, flags)</c> (helper 133): drops the record whose data is at <paramref name="r1"/>; the consumer skips it.</summary>
    public static ulong Discard(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        Commit(r1, discard: true, r2, invocation);

    /// <summary>
    /// <c>bpf_ringbuf_query(ringbuf, flags)</c> (helper 134): the data not yet consumed (0), the ring's
    /// size (1), the consumer position (2) or the producer position (3); 0 otherwise.
    /// </summary>
    public static ulong Query(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        BpfMap.FromHandle(r1) is RingBufferMap ring ? ring.Query(r2) : 0;

    // Submit and discard return nothing in Linux (r0 is 0 here). A pointer that is not an outstanding
    // reservation (the verifier rules those out in Linux) changes nothing.
    private static ulong Commit(ulong sample, bool discard, ulong flags, Invocation invocation)
    {
        if (RingBufferRegistry.Find(sample) is not { } ring)
            return 0;
        long size = ring.Commit((nint)sample, discard, flags);
        if (size > 0 && invocation.Options.Checked)
            invocation.RemoveRegion((nint)sample, (nint)size);
        return 0;
    }
}
