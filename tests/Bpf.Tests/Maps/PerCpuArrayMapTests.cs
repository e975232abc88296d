using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>BPF_MAP_TYPE_PERCPU_ARRAY from the host and from programs on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class PerCpuArrayMapTests(string engine)
{
    private static PerCpuArrayMap Create(int maxEntries = 4, int valueSize = 8, BpfMapFlags flags = BpfMapFlags.None) =>
        new(Definition(BpfMapType.PercpuArray, maxEntries, keySize: 4, valueSize: valueSize, flags: flags));

    private static int HostErrno(PerCpuArrayMap map, uint index, MapUpdateFlags flags) =>
        UpdateErrno(map, U32(index), new byte[map.HostValueSize], flags);

    private static (long Result, int Slot) ProgramUpdate(string engine, PerCpuArrayMap map, uint index, ulong value, MapUpdateFlags flags)
    {
        ulong packed = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble($"""
            mov %r6, %r1
            lddw %r1, map_idx(0)
            mov %r2, %r6
            mov %r3, %r6
            add %r3, 8
            ldxdw %r4, [%r6+16]
            call 2
            mov %r7, %r0
            call {MapPrograms.CpuSlotHelper}
            lsh %r7, 8
            or %r0, %r7
            exit
            """), [map]), MapPrograms.Options).Run([.. U64(index), .. U64(value), .. U64((ulong)flags)]);
        return ((long)packed >> 8, (int)(packed & 0xFF));
    }

    [Test]
    public void EveryIndexExistsAndStartsAtZero()
    {
        using var map = Create(valueSize: 12);
        var host = new byte[map.HostValueSize];
        Assert.Multiple(() =>
        {
            Assert.That(map.HostValueSize, Is.EqualTo(16 * CpuSlots.Count));
            Assert.That(map.TryLookup(U32(3), host), Is.True);
            Assert.That(host, Is.All.Zero);
            Assert.That(map.TryLookup(U32(4), host), Is.False);
            Assert.That(map.Keys.Select(k => BitConverter.ToUInt32(k)), Is.EqualTo(new uint[] { 0, 1, 2, 3 }));
        });
    }

    [Test]
    public void HostUpdatesFollowTheKernel()
    {
        using var map = Create();
        Assert.Multiple(() =>
        {
            Assert.That(HostErrno(map, 0, MapUpdateFlags.Any), Is.Zero);
            Assert.That(HostErrno(map, 0, MapUpdateFlags.Exist), Is.Zero);
            Assert.That(HostErrno(map, 0, MapUpdateFlags.NoExist), Is.EqualTo(Errno.EEXIST));
            Assert.That(HostErrno(map, 4, MapUpdateFlags.Any), Is.EqualTo(Errno.E2BIG));
            Assert.That(HostErrno(map, 4, (MapUpdateFlags)3), Is.EqualTo(Errno.EINVAL), "flags before the index");
            Assert.That(HostErrno(map, 0, MapUpdateFlags.Lock), Is.EqualTo(Errno.EINVAL));
            Assert.That(Assert.Throws<BpfMapException>(() => map.Delete(U32(0)))!.Errno, Is.EqualTo(Errno.EINVAL));
        });
    }

    [Test]
    public void ProgramUpdatesFollowTheKernelsOrderOfChecks()
    {
        using var map = Create();
        Assert.Multiple(() =>
        {
            Assert.That(ProgramUpdate(engine, map, 0, 5, MapUpdateFlags.Any).Result, Is.Zero);
            Assert.That(ProgramUpdate(engine, map, 0, 5, MapUpdateFlags.NoExist).Result, Is.EqualTo(Negative(Errno.EEXIST)));
            Assert.That(ProgramUpdate(engine, map, 9, 5, MapUpdateFlags.Any).Result, Is.EqualTo(Negative(Errno.E2BIG)));
            Assert.That(ProgramUpdate(engine, map, 9, 5, MapUpdateFlags.Lock).Result, Is.EqualTo(Negative(Errno.E2BIG)), "array_map_update_elem checks the index before BPF_F_LOCK");
            Assert.That(ProgramUpdate(engine, map, 0, 5, MapUpdateFlags.Lock).Result, Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(ProgramUpdate(engine, map, 0, 5, (MapUpdateFlags)3).Result, Is.EqualTo(Negative(Errno.EINVAL)));
        });
    }

    [Test]
    public void AProgramsUpdateWritesOnlyItsSlot()
    {
        using var map = Create();
        var host = new byte[map.HostValueSize];
        for (int slot = 0; slot < CpuSlots.Count; slot++)
            BitConverter.TryWriteBytes(host.AsSpan(slot * 8), 10UL + (ulong)slot);
        map.Update(U32(2), host);
        var (result, ranOn) = ProgramUpdate(engine, map, 2, 99, MapUpdateFlags.Exist);
        map.TryLookup(U32(2), host);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            for (int slot = 0; slot < CpuSlots.Count; slot++)
                Assert.That(BitConverter.ToUInt64(host, slot * 8), Is.EqualTo(slot == ranOn ? 99UL : 10UL + (ulong)slot), $"slot {slot}");
        });
    }

    [Test]
    public void LookupsSeeTheRunsSlotAndLookupOnCpuAnySlot()
    {
        using var map = Create();
        var view = map.AsArray<ulong>();
        for (int slot = 0; slot < CpuSlots.Count; slot++)
            view[1, slot] = 300UL + (ulong)slot;
        var programs = new MapPrograms(engine, map, MapPrograms.Options);
        var (value, ranOn) = programs.LookupWithSlot(1)!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo(300UL + (ulong)ranOn));
            for (uint cpu = 0; cpu < CpuSlots.Count; cpu++)
                Assert.That(programs.LookupOnCpu(1, cpu), Is.EqualTo(300UL + cpu));
            Assert.That(programs.LookupOnCpu(1, (uint)CpuSlots.Count), Is.EqualTo(MapPrograms.Miss));
            Assert.That(programs.LookupOnCpu(4, 0), Is.EqualTo(MapPrograms.Miss), "index out of range");
            Assert.That(programs.Lookup(4), Is.EqualTo(MapPrograms.Miss));
        });
    }

    [Test]
    public void ProgramsCountPerSlotWithoutAtomics()
    {
        using var map = Create();
        var counter = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            stw [%r10-4], 0
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -4
            call 1
            jeq %r0, 0, +3
            ldxdw %r1, [%r0+0]
            add %r1, 1
            stxdw [%r0+0], %r1
            mov %r0, 0
            exit
            """), [map]), ExecutionOptions.Default);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 2000; i++)
                counter.Run([]);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(map.AsArray<ulong>()[0].Sum(v => (long)v), Is.EqualTo(8000), "no two runs share a slot at once, so plain increments lose nothing");
    }

    [Test]
    public void ForEachHandsOutReadOnlyIndexesAndTheRunsSlot()
    {
        using var map = Create(maxEntries: 3);
        var view = map.AsArray<ulong>();
        for (int index = 0; index < 3; index++)
        {
            for (int slot = 0; slot < CpuSlots.Count; slot++)
                view[index, slot] = (ulong)(index * 100 + slot);
        }

        // Sums index * 1000 + value over the walk, then removes 3 times the run's slot.
        ulong result = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble($"""
            stdw [%r10-8], 0
            lddw %r1, map_idx(0)
            lddw %r2, func(visit)
            mov %r3, %r10
            add %r3, -8
            mov %r4, 0
            call 164
            call {MapPrograms.CpuSlotHelper}
            mul %r0, 3
            ldxdw %r1, [%r10-8]
            sub %r1, %r0
            mov %r0, %r1
            exit
            visit:
            ldxw %r5, [%r2+0]
            mul %r5, 1000
            ldxdw %r0, [%r3+0]
            add %r5, %r0
            ldxdw %r0, [%r4+0]
            add %r0, %r5
            stxdw [%r4+0], %r0
            mov %r0, 0
            exit
            """), [map]), MapPrograms.Options).Run([]);
        Assert.That(result, Is.EqualTo(3000UL + 300));
    }

    [Test]
    public void ReadOnlyForProgramsRefusesProgramUpdates()
    {
        using var map = Create(flags: BpfMapFlags.ReadOnlyProgram);
        Assert.That(ProgramUpdate(engine, map, 0, 1, MapUpdateFlags.Any).Result, Is.EqualTo(Negative(Errno.EPERM)));
    }

    [TestCase(8, 8, 4, BpfMapFlags.None, TestName = "8-byte key")]
    [TestCase(4, 0, 4, BpfMapFlags.None, TestName = "zero value size")]
    [TestCase(4, 8, 0, BpfMapFlags.None, TestName = "zero max_entries")]
    [TestCase(4, 32 * 1024 + 1, 4, BpfMapFlags.None, TestName = "value past PCPU_MIN_UNIT_SIZE")]
    [TestCase(4, 8, 4, BpfMapFlags.Mmapable, TestName = "MMAPABLE per-CPU array")]
    [TestCase(4, 8, 4, BpfMapFlags.NoPrealloc, TestName = "NO_PREALLOC array")]
    public void DefinitionsTheKernelRefusesAreArgumentErrors(int keySize, int valueSize, int maxEntries, BpfMapFlags flags)
    {
        Assert.Throws<ArgumentException>(() => new PerCpuArrayMap(Definition(BpfMapType.PercpuArray, maxEntries, keySize, valueSize, flags)).Dispose());
    }
}
