using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The array of maps from the host: the kernel's inner-map compatibility check, references to stored maps, the kernel's delete and iteration.</summary>
public sealed class ArrayOfMapsMapTests
{
    internal static BpfMapDefinition ArrayTemplate(int maxEntries = 4, BpfMapFlags flags = BpfMapFlags.None) =>
        new() { Name = "inner", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = maxEntries, Flags = flags };

    internal static ArrayOfMapsMap Create(BpfMapDefinition? template = null, int maxEntries = 4, BpfMapFlags flags = BpfMapFlags.None) =>
        new(new BpfMapDefinition
        {
            Name = "outer", Type = BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = maxEntries, Flags = flags,
            InnerMap = template ?? ArrayTemplate(),
        });

    private static byte[] Key(uint index) => BitConverter.GetBytes(index);

    /// <summary>A map that only counts when its memory is freed, defined like the array template.</summary>
    private sealed class FreeCountingMap(BpfMapDefinition definition) : BpfMap(definition)
    {
        public int Frees { get; private set; }

        public override IReadOnlyList<MemoryRegion> ValueRegions => [];

        protected override void FreeMemory() => Frees++;
    }

    [Test]
    public void SlotsHoldWhatTheHostStores()
    {
        using var outer = Create();
        using var inner = new ArrayMap(ArrayTemplate());
        outer.SetInnerMap(3, inner);
        Assert.Multiple(() =>
        {
            Assert.That(outer.InnerMapAt(3), Is.SameAs(inner));
            Assert.That(outer.InnerMapAt(0), Is.Null);
            Assert.Throws<ArgumentOutOfRangeException>(() => outer.SetInnerMap(4, inner));
            Assert.Throws<ArgumentOutOfRangeException>(() => outer.InnerMapAt(-1));
        });
        outer.SetInnerMap(3, null);
        Assert.That(outer.InnerMapAt(3), Is.Null);
    }

    [TestCase(BpfMapType.PercpuArray, 4, 8, 4, BpfMapFlags.None, TestName = "another type")]
    [TestCase(BpfMapType.Array, 8, 8, 4, BpfMapFlags.None, TestName = "another key size")]
    [TestCase(BpfMapType.Array, 4, 16, 4, BpfMapFlags.None, TestName = "another value size")]
    [TestCase(BpfMapType.Array, 4, 8, 4, BpfMapFlags.ReadOnlyProgram, TestName = "other flags")]
    [TestCase(BpfMapType.Array, 4, 8, 5, BpfMapFlags.None, TestName = "another max_entries of an array")]
    public void MapsThatDoNotMatchTheTemplateAreRefused(BpfMapType type, int keySize, int valueSize, int maxEntries, BpfMapFlags flags)
    {
        using var outer = Create();
        using var inner = new FreeCountingMap(new BpfMapDefinition { Name = "m", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags });
        var error = Assert.Throws<BpfMapException>(() => outer.SetInnerMap(0, inner));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(outer.InnerMapAt(0), Is.Null);
        });
        inner.Dispose();
        Assert.That(inner.Frees, Is.EqualTo(1), "a refused map is not kept alive");
    }

    [Test]
    public void AnInnerMapFlaggedTemplateLetsArraysDifferInSize()
    {
        using var outer = Create(ArrayTemplate(maxEntries: 4, flags: BpfMapFlags.InnerMap));
        using var bigger = new ArrayMap(ArrayTemplate(maxEntries: 100, flags: BpfMapFlags.InnerMap));
        using var unflagged = new ArrayMap(ArrayTemplate(maxEntries: 4));
        outer.SetInnerMap(0, bigger);
        Assert.Multiple(() =>
        {
            Assert.That(outer.InnerMapAt(0), Is.SameAs(bigger));
            Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(1, unflagged))!.Errno, Is.EqualTo(Errno.EINVAL), "the flags must still be equal");
        });
    }

    [Test]
    public void OnlyArraysMustMatchInSize()
    {
        // The kernel compares max_entries only in the array's own check.
        var template = new BpfMapDefinition { Name = "q", Type = BpfMapType.Queue, ValueSize = 8, MaxEntries = 4 };
        using var outer = Create(template);
        using var queue = new QueueMap(template with { MaxEntries = 50 });
        outer.SetInnerMap(0, queue);
        Assert.That(outer.InnerMapAt(0), Is.SameAs(queue));
    }

    [Test]
    public void AStoredMapOutlivesItsDisposalUntilItIsRemoved()
    {
        using var outer = Create();
        var inner = new FreeCountingMap(ArrayTemplate());
        outer.SetInnerMap(0, inner);
        inner.Dispose();
        Assert.That(inner.Frees, Is.Zero, "the outer map holds a reference");
        outer.SetInnerMap(0, null);
        Assert.That(inner.Frees, Is.EqualTo(1));
    }

    [Test]
    public void ReplacingDeletingAndDisposingTheOuterMapReleaseInnerMaps()
    {
        var first = new FreeCountingMap(ArrayTemplate());
        var second = new FreeCountingMap(ArrayTemplate());
        var third = new FreeCountingMap(ArrayTemplate());
        var outer = Create();
        outer.SetInnerMap(0, first);
        outer.SetInnerMap(1, second);
        outer.SetInnerMap(2, third);
        outer.SetInnerMap(1, first); // one map in two slots holds two references
        first.Dispose();
        second.Dispose();
        third.Dispose();
        Assert.That(second.Frees, Is.EqualTo(1), "replaced");
        Assert.That(outer.Delete(Key(2)), Is.True);
        Assert.That(third.Frees, Is.EqualTo(1), "deleted");
        Assert.That(first.Frees, Is.Zero);
        outer.Dispose();
        Assert.That(first.Frees, Is.EqualTo(1), "released with the outer map");
    }

    [Test]
    public void ADisposedMapCannotBeStored()
    {
        using var outer = Create();
        var inner = new ArrayMap(ArrayTemplate());
        inner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => outer.SetInnerMap(0, inner));
    }

    [Test]
    public void DeleteAndIterationAreTheKernelsForArrays()
    {
        using var outer = Create(maxEntries: 3);
        using var inner = new ArrayMap(ArrayTemplate());
        outer.SetInnerMap(1, inner);
        Assert.Multiple(() =>
        {
            Assert.That(outer.Keys.Select(k => BitConverter.ToUInt32(k)), Is.EqualTo(new uint[] { 0, 1, 2 }));
            Assert.That(outer.Delete(Key(1)), Is.True);
            Assert.That(outer.Delete(Key(1)), Is.False);
            Assert.That(Assert.Throws<BpfMapException>(() => outer.Delete(Key(3)))!.Errno, Is.EqualTo(Errno.E2BIG));
            Assert.Throws<NotSupportedException>(() => outer.TryLookup(Key(0), new byte[4]));
            Assert.Throws<NotSupportedException>(() => outer.Update(Key(0), Key(0)));
        });
    }

    [Test]
    public void AReadOnlyOuterMapRefusesTheHostsChanges()
    {
        using var outer = Create(flags: BpfMapFlags.ReadOnly);
        using var inner = new ArrayMap(ArrayTemplate());
        Assert.That(Assert.Throws<BpfMapException>(() => outer.SetInnerMap(0, inner))!.Errno, Is.EqualTo(Errno.EPERM));
    }

    [Test]
    public void TemplatesTheKernelRefusesAreRejected()
    {
        var outerOfOuter = new BpfMapDefinition { Name = "o", Type = BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 1, InnerMap = ArrayTemplate() };
        var programArray = new BpfMapDefinition { Name = "p", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 1 };
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Create(outerOfOuter), "one level of maps in maps");
            Assert.Throws<ArgumentException>(() => Create(outerOfOuter with { Type = BpfMapType.HashOfMaps }));
            Assert.Throws<ArgumentException>(() => Create(programArray), "program arrays cannot be inner maps");
            Assert.Throws<ArgumentException>(() => MapFactory.Create(new BpfMapDefinition { Name = "o", Type = BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 1 }), "no template");
            Assert.Throws<ArgumentException>(() => MapFactory.Create(outerOfOuter with { ValueSize = 8 }));
            Assert.Throws<ArgumentException>(() => MapFactory.Create(outerOfOuter with { MaxEntries = 0 }));
            Assert.Throws<ArgumentException>(() => MapFactory.Create(outerOfOuter with { Flags = BpfMapFlags.InnerMap }));
        });
    }

    [Test]
    public void TheFactoryMakesArraysOfMaps()
    {
        using var map = MapFactory.Create(new BpfMapDefinition { Name = "o", Type = BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 1, InnerMap = ArrayTemplate() });
        Assert.That(map, Is.InstanceOf<ArrayOfMapsMap>());
    }
}

/// <summary>Programs reaching inner maps through an array of maps, on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ArrayOfMapsMapProgramTests(string engine)
{
    // Looks up slot {0} of the outer map, then key 0 of that inner map; returns its value, -1 when
    // the slot is empty and -2 when the inner lookup fails.
    private const string ReadInner = """
        stw [%r10-4], {0}
        lddw %r1, map_idx(0)
        mov %r2, %r10
        add %r2, -4
        call 1
        jne %r0, 0, +2
        mov %r0, -1
        exit
        mov %r1, %r0
        stw [%r10-8], 0
        mov %r2, %r10
        add %r2, -8
        call 1
        jne %r0, 0, +2
        mov %r0, -2
        exit
        ldxdw %r0, [%r0+0]
        exit
        """;

    private BpfExecutable Prepare(string source, BpfMap map) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [map]), ExecutionOptions.Default);

    private static ArrayMap Inner(ulong first)
    {
        var inner = new ArrayMap(ArrayOfMapsMapTests.ArrayTemplate());
        BitConverter.TryWriteBytes(inner.ValueAt(0), first);
        return inner;
    }

    [Test]
    public void ALookupGivesTheInnerMapsHandle()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        using var inner = Inner(1);
        outer.SetInnerMap(2, inner);
        const string lookup = "stw [%r10-4], {0}\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit";
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(string.Format(lookup, 2), outer).Run([]), Is.EqualTo(inner.Handle));
            Assert.That(Prepare(string.Format(lookup, 1), outer).Run([]), Is.Zero, "an empty slot");
            Assert.That(Prepare(string.Format(lookup, 4), outer).Run([]), Is.Zero, "past the end");
        });
    }

    [Test]
    public void ProgramsUseTheInnerMapThroughItsHandle()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        using var a = Inner(111);
        using var b = Inner(222);
        outer.SetInnerMap(0, a);
        outer.SetInnerMap(1, b);
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(string.Format(ReadInner, 0), outer).Run([]), Is.EqualTo(111UL), "checked mode let the program read the inner map's value");
            Assert.That(Prepare(string.Format(ReadInner, 1), outer).Run([]), Is.EqualTo(222UL));
            Assert.That(Prepare(string.Format(ReadInner, 2), outer).Run([]), Is.EqualTo(ulong.MaxValue));
        });
    }

    [Test]
    public void TheHostCanSwapInnerMapsBetweenRuns()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        using var a = Inner(1);
        using var b = Inner(2);
        var read = Prepare(string.Format(ReadInner, 0), outer);
        outer.SetInnerMap(0, a);
        ulong first = read.Run([]);
        outer.SetInnerMap(0, b);
        ulong second = read.Run([]);
        outer.SetInnerMap(0, null);
        ulong third = read.Run([]);
        Assert.That(new[] { first, second, third }, Is.EqualTo(new[] { 1UL, 2UL, ulong.MaxValue }));
    }

    [Test]
    public void ProgramsWriteInnerMapsThroughHelpersAndPointers()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        using var inner = Inner(0);
        outer.SetInnerMap(0, inner);
        ulong result = Prepare("""
            stw [%r10-4], 0
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -4
            call 1
            jeq %r0, 0, fail
            mov %r6, %r0
            stw [%r10-8], 1
            stdw [%r10-16], 55
            mov %r1, %r6
            mov %r2, %r10
            add %r2, -8
            mov %r3, %r10
            add %r3, -16
            mov %r4, 0
            call 2
            mov %r1, %r6
            mov %r2, %r10
            add %r2, -4
            call 1
            jeq %r0, 0, fail
            stdw [%r0+0], 44
            mov %r0, 0
            exit
            fail:
            mov %r0, -1
            exit
            """, outer).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(BitConverter.ToUInt64(inner.ValueAt(0)), Is.EqualTo(44UL), "written through the looked-up pointer");
            Assert.That(BitConverter.ToUInt64(inner.ValueAt(1)), Is.EqualTo(55UL), "written with bpf_map_update_elem on the handle");
        });
    }

    [Test]
    public void AnInnerQueueTakesPushes()
    {
        var template = new BpfMapDefinition { Name = "q", Type = BpfMapType.Queue, ValueSize = 8, MaxEntries = 4 };
        using var outer = ArrayOfMapsMapTests.Create(template);
        using var queue = new QueueMap(template);
        outer.SetInnerMap(0, queue);
        ulong result = Prepare("""
            stw [%r10-4], 0
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -4
            call 1
            mov %r1, %r0
            stdw [%r10-16], 9
            mov %r2, %r10
            add %r2, -16
            mov %r3, 0
            call 87
            exit
            """, outer).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(QueueMapTests.Pop(queue), Is.EqualTo(9UL));
        });
    }

    [Test]
    public void ProgramsCannotChangeTheOuterMap()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        using var inner = Inner(1);
        outer.SetInnerMap(0, inner);
        ulong update = Prepare("stw [%r10-4], 0\nstw [%r10-8], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit", outer).Run([]);
        ulong delete = Prepare("stw [%r10-4], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -4\ncall 3\nexit", outer).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(update, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(delete, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(outer.InnerMapAt(0), Is.SameAs(inner));
        });
    }

    [Test]
    public void ADisposedInnerMapLooksEmptyToPrograms()
    {
        using var outer = ArrayOfMapsMapTests.Create();
        var inner = Inner(1);
        outer.SetInnerMap(0, inner);
        inner.Dispose();
        Assert.That(Prepare(string.Format(ReadInner, 0), outer).Run([]), Is.EqualTo(ulong.MaxValue));
    }
}
