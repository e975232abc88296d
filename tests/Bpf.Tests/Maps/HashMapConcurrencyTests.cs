using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>
/// Programs on both engines and host threads using one hash map at once: atomic counters in looked-up
/// values lose nothing, concurrent inserts and deletes of other keys neither lose nor duplicate
/// entries, and churn leaves the table whole (every element can still be used).
/// </summary>
public sealed class HashMapConcurrencyTests
{
    private const int Counters = 8;
    private const int Increments = 3000;

    // Looks up counter [r1+0] (inserting 0 with BPF_NOEXIST when missing) and adds 1 atomically.
    private const string Increment = """
        mov %r6, %r1
        lddw %r1, map_idx(0)
        mov %r2, %r6
        call 1
        jne %r0, 0, add
        stdw [%r10-8], 0
        lddw %r1, map_idx(0)
        mov %r2, %r6
        mov %r3, %r10
        add %r3, -8
        mov %r4, 1
        call 2
        lddw %r1, map_idx(0)
        mov %r2, %r6
        call 1
        jeq %r0, 0, fail
        add:
        mov %r1, 1
        lock add [%r0+0], %r1
        mov %r0, 0
        exit
        fail:
        mov %r0, 1
        exit
        """;

    private static IEnumerable<BpfMapType> Types => [BpfMapType.Hash, BpfMapType.LruHash];

    [TestCaseSource(nameof(Types))]
    public unsafe void CountersIncrementedByProgramsAndHostThreadsLoseNothing(BpfMapType type)
    {
        // Room for every key at once, so that an LRU map never evicts a counter.
        using var map = MapFactory.Create(Definition(type, 4096));
        var programs = Engines.Names.Select(engine =>
            Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(Increment), [map]), ExecutionOptions.Default)).ToList();
        int failures = 0;
        var workers = new List<Thread>();
        foreach (var program in programs)
        {
            workers.Add(new Thread(() =>
            {
                for (int i = 0; i < Increments; i++)
                {
                    if (program.Run(U64((ulong)(i % Counters))) != 0)
                        Interlocked.Increment(ref failures);
                }
            }));
        }

        workers.Add(new Thread(() =>
        {
            var invocation = HostInvocation();
            for (int i = 0; i < Increments; i++)
            {
                var key = U64((ulong)(i % Counters));
                fixed (byte* k = key)
                {
                    nint value = map.Lookup((nint)k, invocation);
                    if (value == 0)
                    {
                        try
                        {
                            map.Update(key, U64(0), MapUpdateFlags.NoExist);
                        }
                        catch (BpfMapException error) when (error.Errno == Errno.EEXIST)
                        {
                        }

                        value = map.Lookup((nint)k, invocation);
                    }

                    if (value == 0)
                        Interlocked.Increment(ref failures);
                    else
                        Interlocked.Increment(ref *(long*)value);
                }
            }
        }));

        // Other keys come and go meanwhile: each inserter adds its own keys and deletes every other one.
        var kept = new List<ulong>[2];
        for (int t = 0; t < kept.Length; t++)
        {
            var mine = kept[t] = [];
            ulong first = 1_000_000UL * (ulong)(t + 1);
            workers.Add(new Thread(() =>
            {
                for (ulong key = first; key < first + 1000; key++)
                {
                    map.Update(U64(key), U64(key), MapUpdateFlags.NoExist);
                    if (key % 2 == 0)
                    {
                        if (!map.Delete(U64(key)))
                            Interlocked.Increment(ref failures);
                    }
                    else
                    {
                        mine.Add(key);
                    }
                }
            }));
        }

        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        var expectedKeys = Enumerable.Range(0, Counters).Select(i => (ulong)i).Concat(kept.SelectMany(k => k)).Order().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Zero);
            for (ulong key = 0; key < Counters; key++)
                Assert.That(Get(map, key), Is.EqualTo((ulong)(programs.Count + 1) * Increments / Counters), $"counter {key}");
            Assert.That(KeysOf(map), Is.EqualTo(expectedKeys), "every key once, none lost");
            Assert.That(((HashMapBase)map).Count, Is.EqualTo(expectedKeys.Length));
            foreach (ulong key in kept.SelectMany(k => k))
                Assert.That(Get(map, key), Is.EqualTo(key));
        });
    }

    [TestCaseSource(nameof(Types))]
    public void ChurnOnTheSameKeysLeavesTheTableWhole(BpfMapType type)
    {
        const int Size = 64;
        using var map = (HashMapBase)MapFactory.Create(Definition(type, Size));
        var programs = Engines.Names.Select(engine => Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            mov %r6, %r1
            lddw %r1, map_idx(0)
            mov %r2, %r6
            mov %r3, %r6
            mov %r4, 0
            call 2
            lddw %r1, map_idx(0)
            mov %r2, %r6
            call 1
            lddw %r1, map_idx(0)
            mov %r2, %r6
            call 3
            mov %r0, 0
            exit
            """), [map]), ExecutionOptions.Default)).ToList();
        int wrongValues = 0;
        var workers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            for (int i = 0; i < 20_000; i++)
            {
                ulong key = (ulong)random.Next(Size);
                if (t % 2 == 0)
                {
                    programs[t / 2 % programs.Count].Run(U64(key));
                }
                else
                {
                    map.Update(U64(key), U64(key));
                    if (Get(map, key) is { } value && value != key)
                        Interlocked.Increment(ref wrongValues);
                    map.Delete(U64(key));
                }
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        foreach (var key in map.Keys.ToList())
            map.Delete(key);
        Assert.Multiple(() =>
        {
            Assert.That(wrongValues, Is.Zero, "a lookup never returned another key's value");
            Assert.That(map.Count, Is.Zero);
            Assert.That(map.Keys, Is.Empty);
        });
        for (ulong key = 0; key < Size; key++)
            map.Update(U64(key + 500), U64(key), MapUpdateFlags.NoExist);
        Assert.Multiple(() =>
        {
            Assert.That(map.Count, Is.EqualTo(Size), "no element was lost to the churn");
            Assert.That(KeysOf(map), Is.EqualTo(Enumerable.Range(500, Size).Select(i => (ulong)i).ToArray()));
            if (type == BpfMapType.Hash)
                Assert.That(UpdateErrno(map, U64(9999), U64(0), MapUpdateFlags.Any), Is.EqualTo(Errno.E2BIG), "and no element was counted twice");
        });
    }

    [Test]
    public void ConcurrentInsertsIntoAFullLruMapKeepItFullAndConsistent()
    {
        const int Size = 128;
        using var map = new LruHashMap(Definition(BpfMapType.LruHash, Size));
        int wrongValues = 0;
        var workers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (ulong key = 0; key < 5000; key++)
            {
                ulong mine = (ulong)t << 32 | key;
                map.Update(U64(mine), U64(mine));
                if (Get(map, mine) is { } value && value != mine)
                    Interlocked.Increment(ref wrongValues);
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        var keys = KeysOf(map);
        Assert.Multiple(() =>
        {
            Assert.That(wrongValues, Is.Zero);
            Assert.That(map.Count, Is.EqualTo(Size));
            Assert.That(keys, Has.Length.EqualTo(Size).And.Unique);
            foreach (ulong key in keys)
                Assert.That(Get(map, key), Is.EqualTo(key));
        });
    }
}
