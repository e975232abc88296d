using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The bloom filter from the host: no false negatives, about the kernel's false-positive rate, the kernel's sizing and errors.</summary>
public sealed class BloomFilterMapTests
{
    internal static BpfMapDefinition Definition(int maxEntries = 1000, int valueSize = 8, ulong mapExtra = 0, BpfMapFlags flags = BpfMapFlags.ZeroSeed) =>
        new() { Name = "bloom", Type = BpfMapType.BloomFilter, KeySize = 0, ValueSize = valueSize, MaxEntries = maxEntries, MapExtra = mapExtra, Flags = flags };

    internal static byte[] Value(ulong v) => BitConverter.GetBytes(v);

    [Test]
    public void AnEmptyFilterContainsNothing()
    {
        using var bloom = new BloomFilterMap(Definition());
        Assert.That(Enumerable.Range(0, 1000).Count(i => bloom.MayContain(Value((ulong)i))), Is.Zero);
    }

    [Test]
    public void EveryAddedValueMayBeContained([Values(1, 5, 15)] int hashes, [Values(3, 8, 13)] int valueSize)
    {
        using var bloom = new BloomFilterMap(Definition(maxEntries: 500, valueSize: valueSize, mapExtra: (ulong)hashes, flags: BpfMapFlags.None));
        var random = new Random(hashes * 100 + valueSize);
        var values = Enumerable.Range(0, 500).Select(_ =>
        {
            var v = new byte[valueSize];
            random.NextBytes(v);
            return v;
        }).ToList();
        foreach (var v in values)
            bloom.Add(v);
        Assert.That(values.Count(v => !bloom.MayContain(v)), Is.Zero, "a bloom filter has no false negatives");
    }

    [Test]
    public void TheFalsePositiveRateIsAboutTheory()
    {
        // 1000 values, 5 hashes, 8192 bits: (1 - e^(-5 * 1000 / 8192))^5 is about 2%.
        using var bloom = new BloomFilterMap(Definition(maxEntries: 1000));
        for (ulong i = 0; i < 1000; i++)
            bloom.Add(Value(i * 7919));
        int falsePositives = Enumerable.Range(0, 20000).Count(i => bloom.MayContain(Value(1_000_000_007UL + (ulong)i * 104729)));
        Assert.That(falsePositives / 20000.0, Is.InRange(0.005, 0.05));
    }

    [TestCase(1000, 5, 8192L, TestName = "1000 entries, 5 hashes: 7000 bits rounded up")]
    [TestCase(1, 1, 64L, TestName = "at least 64 bits")]
    [TestCase(10, 5, 128L, TestName = "70 bits rounded up")]
    [TestCase(100_000_000, 5, 1L << 30, TestName = "7e8 bits rounded up")]
    [TestCase(400_000_000, 5, 1L << 32, TestName = "past 2^31 bits: 2^32")]
    [TestCase(int.MaxValue, 15, 1L << 32, TestName = "a product past 32 bits: 2^32")]
    public void TheBitArrayIsSizedAsTheKernelSizesIt(int maxEntries, int hashes, long bits) =>
        Assert.That(BloomFilterMap.SizeBits(maxEntries, hashes), Is.EqualTo(bits));

    [Test]
    public void MapExtraGivesTheHashCountAndZeroMeansFive()
    {
        using var byDefault = new BloomFilterMap(Definition(mapExtra: 0));
        using var one = new BloomFilterMap(Definition(mapExtra: 1));
        Assert.Multiple(() =>
        {
            Assert.That(byDefault.HashCount, Is.EqualTo(5));
            Assert.That(byDefault.BitCount, Is.EqualTo(8192), "1000 * 5 / 5 * 7 = 7000 bits, rounded up");
            Assert.That(one.HashCount, Is.EqualTo(1));
            Assert.That(one.BitCount, Is.EqualTo(2048), "1000 * 1 / 5 * 7 = 1400 bits, rounded up");
        });
    }

    [Test]
    public void TheGenericOperationsAreTheKernels()
    {
        using var bloom = new BloomFilterMap(Definition());
        bloom.Update([], Value(42));
        Assert.Multiple(() =>
        {
            Assert.That(bloom.TryLookup([], Value(42)), Is.True, "lookup tests the value it is given");
            Assert.That(Assert.Throws<BpfMapException>(() => bloom.Update([], Value(1), MapUpdateFlags.Exist))!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.Throws<NotSupportedException>(() => bloom.Delete([]), "the kernel's EOPNOTSUPP");
            Assert.Throws<NotSupportedException>(() => bloom.TryGetNextKey([], new byte[4]), "the kernel's EOPNOTSUPP");
            Assert.Throws<ArgumentException>(() => bloom.Update(new byte[4], Value(1)), "a bloom filter has no key");
            Assert.Throws<ArgumentException>(() => bloom.Add(new byte[7]));
            Assert.Throws<ArgumentException>(() => bloom.MayContain(new byte[9]));
        });
    }

    [Test]
    public void ReadOnlyAndWriteOnlyFlagsBindTheHost()
    {
        using var readOnly = new BloomFilterMap(Definition(flags: BpfMapFlags.ReadOnly));
        using var writeOnly = new BloomFilterMap(Definition(flags: BpfMapFlags.WriteOnly));
        writeOnly.Add(Value(1));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => readOnly.Add(Value(1)))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(readOnly.MayContain(Value(1)), Is.False);
            Assert.That(Assert.Throws<BpfMapException>(() => writeOnly.MayContain(Value(1)))!.Errno, Is.EqualTo(Errno.EPERM));
        });
    }

    [Test]
    public void ConcurrentAddsLoseNoBits()
    {
        const int perThread = 1000;
        using var bloom = new BloomFilterMap(Definition(maxEntries: 4000));
        var errors = QueueMapTests.RunConcurrently(Enumerable.Range(0, 4).Select(t => (Action)(() =>
        {
            for (int i = 0; i < perThread; i++)
                bloom.Add(Value((ulong)(t * perThread + i)));
        })).ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(Enumerable.Range(0, 4 * perThread).Count(i => !bloom.MayContain(Value((ulong)i))), Is.Zero);
        });
    }

    [TestCase(4, 8, 10, 0UL, BpfMapFlags.None, TestName = "a key")]
    [TestCase(0, 0, 10, 0UL, BpfMapFlags.None, TestName = "no value")]
    [TestCase(0, 8, 0, 0UL, BpfMapFlags.None, TestName = "no entries")]
    [TestCase(0, 8, 10, 0x10UL, BpfMapFlags.None, TestName = "map_extra past the low 4 bits")]
    [TestCase(0, 8, 10, 0UL, BpfMapFlags.NoPrealloc, TestName = "BPF_F_NO_PREALLOC")]
    public void DefinitionsTheKernelRefusesAreRejected(int keySize, int valueSize, int maxEntries, ulong mapExtra, BpfMapFlags flags) =>
        Assert.Throws<ArgumentException>(() => MapFactory.Create(Definition(maxEntries, valueSize, mapExtra, flags) with { KeySize = keySize }));

    [Test]
    public void TheFactoryMakesBloomFilters()
    {
        using var bloom = MapFactory.Create(Definition());
        Assert.That(bloom, Is.InstanceOf<BloomFilterMap>());
    }
}

/// <summary>The bloom filter from programs, on every engine: push adds, peek tests, the rest is refused as by the kernel.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class BloomFilterMapProgramTests(string engine)
{
    private BpfExecutable Prepare(string source, BpfMap map) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [map]), ExecutionOptions.Default);

    [Test]
    public void ProgramsAddAndTestValues()
    {
        using var bloom = new BloomFilterMap(BloomFilterMapTests.Definition());
        var push = Prepare(string.Format(QueueMapProgramTests.PushInput, 0), bloom);
        var peek = Prepare(QueueMapProgramTests.PeekToInput, bloom);
        var value = BloomFilterMapTests.Value(0x0123_4567_89ab_cdef);
        Assert.Multiple(() =>
        {
            Assert.That(peek.Run(BloomFilterMapTests.Value(0x0123_4567_89ab_cdef)), Is.EqualTo(Errno.Negative(Errno.ENOENT)), "an empty filter");
            Assert.That(push.Run(value), Is.Zero);
            Assert.That(peek.Run(BloomFilterMapTests.Value(0x0123_4567_89ab_cdef)), Is.Zero);
            Assert.That(bloom.MayContain(value), Is.True, "the host sees what the program added");
        });
        bloom.Add(BloomFilterMapTests.Value(5));
        Assert.That(peek.Run(BloomFilterMapTests.Value(5)), Is.Zero, "programs see what the host added");
    }

    [Test]
    public void PeekDoesNotWriteTheValue()
    {
        // Unlike a queue's peek, a bloom filter's reads its argument: a read-only buffer is fine and stays as it was.
        using var bloom = new BloomFilterMap(BloomFilterMapTests.Definition());
        using var rodata = new ArrayMap(new BpfMapDefinition
        {
            Name = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Flags = BpfMapFlags.ReadOnlyProgram,
        });
        BitConverter.TryWriteBytes(rodata.ValueAt(0), 77UL);
        bloom.Add(BloomFilterMapTests.Value(77));
        var peek = Engines.Get(engine).Prepare(
            new ProgramImage(Assembler.Assemble("lddw %r2, map_value(1+0)\nlddw %r1, map_idx(0)\ncall 89\nexit"), [bloom, rodata]), ExecutionOptions.Default);
        Assert.Multiple(() =>
        {
            Assert.That(peek.Run([]), Is.Zero);
            Assert.That(BitConverter.ToUInt64(rodata.ValueAt(0)), Is.EqualTo(77UL));
        });
    }

    [Test]
    public void TheOtherOperationsAreRefusedAsByTheKernel()
    {
        using var bloom = new BloomFilterMap(BloomFilterMapTests.Definition());
        bloom.Add(BloomFilterMapTests.Value(1));
        var buffer = BloomFilterMapTests.Value(1);
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(string.Format(QueueMapProgramTests.PushInput, 2), bloom).Run(BloomFilterMapTests.Value(2)), Is.EqualTo(Errno.Negative(Errno.EINVAL)), "push takes only BPF_ANY");
            Assert.That(Prepare(QueueMapProgramTests.PopToInput, bloom).Run(buffer), Is.EqualTo(Errno.Negative(Errno.EOPNOTSUPP)));
            Assert.That(Prepare("lddw %r1, map_idx(0)\nmov %r2, %r10\ncall 3\nexit", bloom).Run([]), Is.EqualTo(Errno.Negative(Errno.EOPNOTSUPP)));
            Assert.That(Prepare("lddw %r1, map_idx(0)\nmov %r2, %r10\ncall 1\nexit", bloom).Run([]), Is.Zero);
            Assert.That(Prepare("stdw [%r10-8], 1\nlddw %r1, map_idx(0)\nmov %r2, %r10\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit", bloom).Run([]),
                Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(BitConverter.ToUInt64(buffer), Is.EqualTo(1UL));
        });
    }

    [Test]
    public void AReadOnlyForProgramsFilterRefusesProgramPushes()
    {
        using var bloom = new BloomFilterMap(BloomFilterMapTests.Definition(flags: BpfMapFlags.ZeroSeed | BpfMapFlags.ReadOnlyProgram));
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(string.Format(QueueMapProgramTests.PushInput, 0), bloom).Run(BloomFilterMapTests.Value(3)), Is.EqualTo(Errno.Negative(Errno.EPERM)));
            Assert.That(bloom.MayContain(BloomFilterMapTests.Value(3)), Is.False);
        });
    }
}
