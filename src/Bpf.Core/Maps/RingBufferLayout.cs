namespace Bpf.Maps;

/// <summary>
/// The kernel's ring buffer format (uapi/linux/bpf.h and kernel/bpf/ringbuf.c): record headers,
/// their flag bits, the helper flags and the query codes.
/// </summary>
public static class RingBufferLayout
{
    /// <summary>The page size the data size must be a multiple of.</summary>
    public const int PageSize = 4096;

    /// <summary><c>BPF_RINGBUF_HDR_SZ</c>: a record's header, before its data.</summary>
    public const int HeaderSize = 8;

    /// <summary><c>BPF_RINGBUF_BUSY_BIT</c>: set in a header's length while the record is reserved and not committed.</summary>
    public const uint BusyBit = 1U << 31;

    /// <summary><c>BPF_RINGBUF_DISCARD_BIT</c>: set in a header's length when the record was discarded.</summary>
    public const uint DiscardBit = 1U << 30;

    /// <summary>The largest record the kernel reserves (<c>RINGBUF_MAX_RECORD_SZ</c>, <c>UINT_MAX / 4</c>).</summary>
    public const ulong MaxRecordSize = uint.MaxValue / 4;

    /// <summary>
    /// The page offset of the first data page from the start of the kernel's ring buffer structure,
    /// what a header's second word counts from: one page of bookkeeping, then the consumer position's
    /// page and the producer position's page.
    /// </summary>
    public const uint DataPageOffset = 3;

    /// <summary><c>BPF_RB_NO_WAKEUP</c>: commit without waking the consumer.</summary>
    public const ulong NoWakeup = 1;

    /// <summary><c>BPF_RB_FORCE_WAKEUP</c>: commit and wake the consumer even if it is not waiting for this record.</summary>
    public const ulong ForceWakeup = 2;

    /// <summary><c>BPF_RB_AVAIL_DATA</c>: <c>bpf_ringbuf_query</c> of the bytes not yet consumed.</summary>
    public const ulong QueryAvailableData = 0;

    /// <summary><c>BPF_RB_RING_SIZE</c>: <c>bpf_ringbuf_query</c> of the data size.</summary>
    public const ulong QueryRingSize = 1;

    /// <summary><c>BPF_RB_CONS_POS</c>: <c>bpf_ringbuf_query</c> of the consumer position.</summary>
    public const ulong QueryConsumerPosition = 2;

    /// <summary><c>BPF_RB_PROD_POS</c>: <c>bpf_ringbuf_query</c> of the producer position.</summary>
    public const ulong QueryProducerPosition = 3;

    /// <summary>The bytes a record of <paramref name="size"/> data bytes takes: header and data, rounded up to 8.</summary>
    public static ulong RecordLength(uint size) => ((ulong)size + HeaderSize + 7) & ~7UL;

    /// <summary>The page offset a header at <paramref name="dataOffset"/> bytes into the data carries.</summary>
    public static uint PageOffsetOf(ulong dataOffset) => DataPageOffset + (uint)(dataOffset / PageSize);
}
