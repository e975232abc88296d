using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>
/// BPF_MAP_TYPE_PERCPU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH: one value per CPU slot; programs see
/// their run's slot (or any through helper 195), the host all slots, each rounded to 8 bytes.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class PerCpuHashMapTests(string engine)
{
    private static IEnumerable<BpfMapType> Types => [BpfMapType.PercpuHash, BpfMapType.LruPercpuHash];

    private static BpfMap Create(BpfMapType type, int maxEntries = 8, int valueSize = 8) =>
        MapFactory.Create(Definition(type, maxEntries, valueSize: valueSize));

    /// <summary>A host value whose slot <c>c</c> holds <c>base + c</c> as a 64-bit number.</summary>
    private static byte[] SlotValues(BpfMap map, ulong @base)
    {
        int stride = (map.ValueSize + 7) & ~7;
        var host = new byte[map.HostValueSize];
        for (int slot = 0; slot < CpuSlots.Count; slot++)
            BitConverter.TryWriteBytes(host.AsSpan(slot * stride), @base + (ulong)slot);
        return host;
    }

    [TestCaseSource(nameof(Types))]
    public void TheHostValueIsEverySlotRoundedToEightBytes(BpfMapType type)
    {
        using var map = Create(type, valueSize: 12);
        Assert.That(map.HostValueSize, Is.EqualTo(16 * CpuSlots.Count));
        var host = new byte[map.HostValueSize];
        for (int i = 0; i < host.Length; i++)
            host[i] = (byte)(i + 1);
        map.Update(U64(1), host);
        var back = new byte[map.HostValueSize];
        Assert.Multiple(() =>
        {
            Assert.That(map.TryLookup(U64(1), back), Is.True);
            Assert.That(back, Is.EqualTo(host));
            Assert.Throws<ArgumentException>(() => map.Update(U64(2), new byte[12]), "one slot's value is not a host value");
        });
    }

    [TestCaseSource(nameof(Types))]
    public void ProgramsSeeTheValueOfTheirSlot(BpfMapType type)
    {
        using var map = Create(type);
        map.Update(U64(3), SlotValues(map, 1000));
        var programs = new MapPrograms(engine, map, MapPrograms.Options);
        var (value, slot) = programs.LookupWithSlot(3)!.Value;
        Assert.That(value, Is.EqualTo(1000UL + (ulong)slot));
    }

    [TestCaseSource(nameof(Types))]
    public void LookupOnCpuReadsAnySlotAndNoneBeyondTheLast(BpfMapType type)
    {
        using var map = Create(type);
        map.Update(U64(3), SlotValues(map, 500));
        var programs = new MapPrograms(engine, map);
        Assert.Multiple(() =>
        {
            for (uint cpu = 0; cpu < CpuSlots.Count; cpu++)
                Assert.That(programs.LookupOnCpu(3, cpu), Is.EqualTo(500UL + cpu), $"cpu {cpu}");
            Assert.That(programs.LookupOnCpu(3, (uint)CpuSlots.Count), Is.EqualTo(MapPrograms.Miss));
            Assert.That(programs.LookupOnCpu(3, uint.MaxValue), Is.EqualTo(MapPrograms.Miss));
            Assert.That(programs.LookupOnCpu(4, 0), Is.EqualTo(MapPrograms.Miss), "a missing key");
        });
    }

    [TestCaseSource(nameof(Types))]
    public void AProgramsUpdateOfANewKeySetsItsSlotAndZeroesTheOthers(BpfMapType type)
    {
        using var map = Create(type);
        // An earlier, deleted key left values in the element the new key may get.
        map.Update(U64(1), SlotValues(map, 77));
        map.Delete(U64(1));
        var programs = new MapPrograms(engine, map, MapPrograms.Options);
        Assert.That(programs.Update(2, 42), Is.Zero);
        int slot = programs.LookupWithSlot(2)!.Value.Slot;
        var host = new byte[map.HostValueSize];
        map.TryLookup(U64(2), host);
        Assert.Multiple(() =>
        {
            for (int cpu = 0; cpu < CpuSlots.Count; cpu++)
                Assert.That(BitConverter.ToUInt64(host, cpu * 8), Is.EqualTo(cpu == slot ? 42UL : 0UL), $"cpu {cpu}");
        });
    }

    [TestCaseSource(nameof(Types))]
    public void AProgramsUpdateOfAnExistingKeyChangesOnlyItsSlot(BpfMapType type)
    {
        using var map = Create(type);
        map.Update(U64(2), SlotValues(map, 10));
        var programs = new MapPrograms(engine, map, MapPrograms.Options);
        Assert.That(programs.Update(2, 99, MapUpdateFlags.Exist), Is.Zero);
        int slot = programs.LookupWithSlot(2)!.Value.Slot;
        var host = new byte[map.HostValueSize];
        map.TryLookup(U64(2), host);
        Assert.Multiple(() =>
        {
            for (int cpu = 0; cpu < CpuSlots.Count; cpu++)
                Assert.That(BitConverter.ToUInt64(host, cpu * 8), Is.EqualTo(cpu == slot ? 99UL : 10UL + (ulong)cpu), $"cpu {cpu}");
        });
    }

    [Test]
    public void APerCpuHashRefusesANewKeyWhenFull()
    {
        using var map = Create(BpfMapType.PercpuHash, maxEntries: 2);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 1);
        programs.Update(2, 2);
        Assert.That(programs.Update(3, 3), Is.EqualTo(Negative(Errno.E2BIG)));
    }

    [Test]
    public void AnLruPerCpuHashEvictsWhenFull()
    {
        using var map = Create(BpfMapType.LruPercpuHash, maxEntries: 2);
        var programs = new MapPrograms(engine, map);
        programs.Update(1, 1);
        programs.Update(2, 2);
        programs.Lookup(1);
        Assert.That(programs.Update(3, 3), Is.Zero);
        Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 3 }));
    }

    [TestCaseSource(nameof(Types))]
    public void ForEachPassesTheValueOfTheRunsSlot(BpfMapType type)
    {
        using var map = Create(type);
        map.Update(U64(1), SlotValues(map, 100));
        map.Update(U64(2), SlotValues(map, 200));
        // Sums the values the callback sees, then subtracts twice the run's slot.
        ulong result = Engines.Get(engine).Prepare(new ProgramImage(Bpf.Isa.Assembler.Assemble($"""
            stdw [%r10-8], 0
            lddw %r1, map_idx(0)
            lddw %r2, func(visit)
            mov %r3, %r10
            add %r3, -8
            mov %r4, 0
            call 164
            call {MapPrograms.CpuSlotHelper}
            lsh %r0, 1
            ldxdw %r1, [%r10-8]
            sub %r1, %r0
            mov %r0, %r1
            exit
            visit:
            ldxdw %r0, [%r3+0]
            ldxdw %r5, [%r4+0]
            add %r5, %r0
            stxdw [%r4+0], %r5
            mov %r0, 0
            exit
            """), [map]), MapPrograms.Options).Run([]);
        Assert.That(result, Is.EqualTo(300UL));
    }
}
