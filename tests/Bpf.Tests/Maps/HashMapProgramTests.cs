using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>
/// The hash maps as programs see them through helpers 1, 2, 3 and 164, on every engine: the same
/// kernel semantics as the host API, and pointers only into memory checked mode lets them touch.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class HashMapProgramTests(string engine)
{
    private const string SumKeysAndValues = """
        stdw [%r10-8], 0
        lddw %r1, map_idx(0)
        lddw %r2, func(visit)
        mov %r3, %r10
        add %r3, -8
        mov %r4, 0
        call 164
        ldxdw %r1, [%r10-8]
        lsh %r1, 8
        or %r0, %r1
        exit
        visit:
        ldxdw %r5, [%r2+0]
        ldxdw %r0, [%r3+0]
        add %r5, %r0
        ldxdw %r0, [%r4+0]
        add %r0, %r5
        stxdw [%r4+0], %r0
        mov %r0, 0
        exit
        """;

    [Test]
    public void UpdateFlagsAndErrorsAreTheKernels()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4));
        var programs = new MapPrograms(engine, map);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update(1, 10, MapUpdateFlags.Exist), Is.EqualTo(Negative(Errno.ENOENT)));
            Assert.That(programs.Update(1, 10, MapUpdateFlags.NoExist), Is.Zero);
            Assert.That(programs.Update(1, 11, MapUpdateFlags.NoExist), Is.EqualTo(Negative(Errno.EEXIST)));
            Assert.That(programs.Lookup(1), Is.EqualTo(10UL));
            Assert.That(programs.Update(1, 12, MapUpdateFlags.Exist), Is.Zero);
            Assert.That(programs.Lookup(1), Is.EqualTo(12UL));
            Assert.That(programs.Update(1, 13, (MapUpdateFlags)3), Is.EqualTo(Negative(Errno.EINVAL)));
            Assert.That(programs.Update(1, 13, MapUpdateFlags.Lock), Is.EqualTo(Negative(Errno.EINVAL)), "no bpf_spin_lock in the value");
            Assert.That(programs.Lookup(2), Is.EqualTo(MapPrograms.Miss));
            Assert.That(programs.Delete(2), Is.EqualTo(Negative(Errno.ENOENT)));
            Assert.That(programs.Delete(1), Is.Zero);
            Assert.That(programs.Lookup(1), Is.EqualTo(MapPrograms.Miss));
        });
    }

    [Test]
    public void AFullMapRefusesANewKeyWithE2Big()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 3));
        var programs = new MapPrograms(engine, map);
        for (ulong key = 0; key < 3; key++)
            Assert.That(programs.Update(key, key), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update(3, 3), Is.EqualTo(Negative(Errno.E2BIG)));
            Assert.That(programs.Update(2, 20), Is.Zero, "an existing key is updated even when full");
            Assert.That(programs.Delete(0), Is.Zero);
            Assert.That(programs.Update(3, 3), Is.Zero, "a deletion made room");
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 2, 3 }));
        });
    }

    [Test]
    public void ProgramsAndTheHostSeeTheSameEntries()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8));
        var programs = new MapPrograms(engine, map);
        map.Update(U64(5), U64(50));
        programs.Update(6, 60);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Lookup(5), Is.EqualTo(50UL));
            Assert.That(Get(map, 6), Is.EqualTo(60UL));
        });
    }

    [Test]
    public void ProgramsWriteValuesInPlaceThroughTheLookedUpPointer()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8));
        map.Update(U64(7), U64(40));
        const string Increment = """
            stdw [%r10-8], 7
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -8
            call 1
            jeq %r0, 0, +4
            mov %r1, 1
            lock add [%r0+0], %r1
            ldxdw %r0, [%r0+0]
            exit
            mov %r0, 0
            exit
            """;
        var program = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(Increment), [map]), ExecutionOptions.Default);
        program.Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(program.Run([]), Is.EqualTo(42UL));
            Assert.That(Get(map, 7), Is.EqualTo(42UL));
        });
    }

    [Test]
    public void ForEachVisitsEveryElementWithReadableKeys()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 16));
        ulong expected = 0;
        for (ulong key = 1; key <= 10; key++)
        {
            map.Update(U64(key), U64(key * 1000));
            expected += key + key * 1000;
        }

        ulong result = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(SumKeysAndValues), [map]), ExecutionOptions.Default).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(result & 0xFF, Is.EqualTo(10UL), "elements visited");
            Assert.That(result >> 8, Is.EqualTo(expected), "sum of keys and values");
        });
    }

    [Test]
    public void ForEachStopsWhenTheCallbackReturnsOne()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 16));
        for (ulong key = 1; key <= 5; key++)
            map.Update(U64(key), U64(key));
        ulong visited = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            lddw %r1, map_idx(0)
            lddw %r2, func(stop)
            mov %r3, 0
            mov %r4, 0
            call 164
            exit
            stop:
            mov %r0, 1
            exit
            """), [map]), ExecutionOptions.Default).Run([]);
        Assert.That(visited, Is.EqualTo(1UL), "the element whose callback stopped the walk counts");
    }

    [Test]
    public void ForEachCallbacksCanDeleteTheElementTheyAreGiven()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 16));
        for (ulong key = 1; key <= 9; key++)
            map.Update(U64(key), U64(key));
        ulong visited = Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            lddw %r1, map_idx(0)
            lddw %r2, func(remove)
            mov %r3, 0
            mov %r4, 0
            call 164
            exit
            remove:
            call 3
            mov %r0, 0
            exit
            """), [map]), ExecutionOptions.Default).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(visited, Is.EqualTo(9UL));
            Assert.That(map.Count, Is.Zero);
        });
    }

    [Test]
    public void CheckedProgramsCannotWriteTheKeysForEachHandsThem()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4));
        map.Update(U64(1), U64(1));
        var error = Assert.Throws<BpfRuntimeException>(() => Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            lddw %r1, map_idx(0)
            lddw %r2, func(scribble)
            mov %r3, 0
            mov %r4, 0
            call 164
            exit
            scribble:
            stdw [%r2+0], 99
            mov %r0, 0
            exit
            """), [map]), ExecutionOptions.Default).Run([]));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.ReadOnlyMemory));
            Assert.That(Get(map, 1), Is.EqualTo(1UL), "the key is intact");
        });
    }

    [Test]
    public void CheckedProgramsCannotReachPastTheValues()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4));
        map.Update(U64(1), U64(1));
        var error = Assert.Throws<BpfRuntimeException>(() => Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble("""
            stdw [%r10-8], 1
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -8
            call 1
            ldxdw %r0, [%r0-4096]
            exit
            """), [map]), ExecutionOptions.Default).Run([]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void ReadOnlyForProgramsRefusesProgramUpdatesAndDeletes()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4, flags: BpfMapFlags.ReadOnlyProgram));
        map.Update(U64(1), U64(10));
        var programs = new MapPrograms(engine, map);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update(2, 20), Is.EqualTo(Negative(Errno.EPERM)));
            Assert.That(programs.Delete(1), Is.EqualTo(Negative(Errno.EPERM)));
            Assert.That(programs.Lookup(1), Is.EqualTo(10UL));
        });
    }

    [Test]
    public void OddKeySizesWorkFromPrograms()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4, keySize: 5));
        var programs = new MapPrograms(engine, map);
        Assert.Multiple(() =>
        {
            Assert.That(programs.Update([1, 2, 3, 4, 5], 77), Is.Zero);
            Assert.That(programs.Lookup([1, 2, 3, 4, 5]), Is.EqualTo(77UL));
            Assert.That(programs.Lookup([1, 2, 3, 4, 6]), Is.EqualTo(MapPrograms.Miss));
        });
    }
}
