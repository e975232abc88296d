using Bpf.Maps;

namespace Bpf.Tests.Maps;

/// <summary>
/// The LPM trie's value memory: a value given back is not reused while a program might still read
/// it (the grace period), unless the pool has reached its bound; every slot lies in a region.
/// </summary>
public sealed unsafe class LpmTrieValuesTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Now;
    }

    private static byte[] Value(ulong v) => BitConverter.GetBytes(v);

    private static ulong Read(nint slot) => *(ulong*)slot;

    [Test]
    public void AValueGivenBackKeepsItsContentsUntilTheGracePeriodEnds()
    {
        var clock = new ManualClock();
        var pool = new LpmTrieValues(8, maxEntries: 4, writable: true, clock);
        try
        {
            nint old = pool.Rent(Value(1));
            pool.Return(old);
            clock.Now += LpmTrieValues.GracePeriod.Ticks - 1;
            var fresh = Enumerable.Range(0, 100).Select(i => pool.Rent(Value(100 + (ulong)i))).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(fresh, Does.Not.Contain(old));
                Assert.That(Read(old), Is.EqualTo(1UL));
            });

            clock.Now += 1;
            Assert.That(pool.Rent(Value(2)), Is.EqualTo(old), "after the grace period the slot is reused");
            Assert.That(Read(old), Is.EqualTo(2UL));
        }
        finally
        {
            pool.Free();
        }
    }

    [Test]
    public void AFullPoolReusesTheOldestValueEarly()
    {
        var clock = new ManualClock();
        var pool = new LpmTrieValues(1 << 20, maxEntries: 2, writable: true, clock); // 1 MiB values: a small bound
        try
        {
            // Two values live at a time, the clock standing still: only the bound forces reuse.
            var live = new List<nint>();
            var rented = new List<nint>();
            bool reusedALiveSlot = false;
            for (int i = 0; i < 3 * pool.Capacity; i++)
            {
                nint slot = pool.Rent(Value((ulong)i));
                reusedALiveSlot |= live.Contains(slot);
                live.Add(slot);
                rented.Add(slot);
                if (live.Count > 2)
                {
                    pool.Return(live[0]);
                    live.RemoveAt(0);
                }
            }

            Assert.Multiple(() =>
            {
                Assert.That(reusedALiveSlot, Is.False);
                Assert.That(pool.Allocated, Is.EqualTo(pool.Capacity), "the pool stopped growing");
                Assert.That(pool.Capacity, Is.EqualTo(2 + 1 + Math.Max(2, LpmTrieValues.ChurnBudgetBytes >> 20)));
                Assert.That(rented.Distinct().Count(), Is.EqualTo(pool.Capacity), "the oldest slots were reused within the grace period");
            });
        }
        finally
        {
            pool.Free();
        }
    }

    [Test]
    public void EverySlotLiesInARegion()
    {
        var pool = new LpmTrieValues(12, maxEntries: 1000, writable: false);
        try
        {
            var slots = Enumerable.Range(0, 500).Select(i => pool.Rent(Value((ulong)i)[..8])).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(slots.All(s => pool.Regions.Count(r => r.Contains((ulong)s, 16)) == 1), Is.True, "each slot, padded to 16 bytes, in exactly one region");
                Assert.That(pool.Regions.All(r => !r.Writable), Is.True);
                Assert.That(pool.Regions, Has.Count.LessThan(10), "chunks double");
            });
        }
        finally
        {
            pool.Free();
        }
    }
}
