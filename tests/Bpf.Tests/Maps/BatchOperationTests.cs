using Bpf.Maps;
using Bpf.Runtime;
using static Bpf.Tests.Maps.MapTesting;

namespace Bpf.Tests.Maps;

/// <summary>Batch host operations: in order, stopping at the first failure and saying how many succeeded, as BPF_MAP_*_BATCH.</summary>
public sealed class BatchOperationTests
{
    private static byte[] Keys(params ulong[] keys) => [.. keys.SelectMany(U64)];

    [Test]
    public void UpdateBatchStopsAtTheFirstRefusal()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 3));
        map.Update(U64(2), U64(0));
        int done = map.UpdateBatch(Keys(1, 2, 3), Keys(10, 20, 30), MapUpdateFlags.NoExist, out int errno);
        Assert.Multiple(() =>
        {
            Assert.That(done, Is.EqualTo(1));
            Assert.That(errno, Is.EqualTo(Errno.EEXIST));
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 1, 2 }), "nothing after the failure was done");
        });
    }

    [Test]
    public void UpdateBatchReportsAFullMap()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 2));
        int done = map.UpdateBatch(Keys(1, 2, 3, 4), Keys(1, 2, 3, 4), MapUpdateFlags.Any, out int errno);
        Assert.That((done, errno), Is.EqualTo((2, Errno.E2BIG)));
    }

    [Test]
    public void LookupBatchCopiesValuesUntilAKeyIsMissing()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8));
        Assert.That(map.UpdateBatch(Keys(1, 2, 3), Keys(10, 20, 30), MapUpdateFlags.Any, out int updateErrno), Is.EqualTo(3));
        Assert.That(updateErrno, Is.Zero);
        var values = new byte[4 * 8];
        int done = map.LookupBatch(Keys(3, 1, 9, 2), values, out int errno);
        Assert.Multiple(() =>
        {
            Assert.That((done, errno), Is.EqualTo((2, Errno.ENOENT)));
            Assert.That(BitConverter.ToUInt64(values, 0), Is.EqualTo(30UL));
            Assert.That(BitConverter.ToUInt64(values, 8), Is.EqualTo(10UL));
        });
    }

    [Test]
    public void DeleteBatchStopsAtAMissingKey()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 8));
        map.UpdateBatch(Keys(1, 2, 3), Keys(1, 2, 3), MapUpdateFlags.Any, out _);
        int done = map.DeleteBatch(Keys(1, 5, 2), out int errno);
        Assert.Multiple(() =>
        {
            Assert.That((done, errno), Is.EqualTo((1, Errno.ENOENT)));
            Assert.That(KeysOf(map), Is.EqualTo(new ulong[] { 2, 3 }));
            Assert.That(map.DeleteBatch(Keys(2, 3), out int second), Is.EqualTo(2));
            Assert.That(second, Is.Zero);
        });
    }

    [Test]
    public void ArraysRefuseDeleteBatchesWithEinval()
    {
        using var array = new ArrayMap(Definition(BpfMapType.Array, 4, keySize: 4));
        Assert.That(array.DeleteBatch(U32(0), out int errno), Is.Zero);
        Assert.That(errno, Is.EqualTo(Errno.EINVAL));
    }

    [Test]
    public void PerCpuBatchesUseHostValues()
    {
        using var map = new PerCpuHashMap(Definition(BpfMapType.PercpuHash, 4));
        var values = new byte[2 * map.HostValueSize];
        values[0] = 1;
        values[map.HostValueSize] = 2;
        Assert.That(map.UpdateBatch(Keys(1, 2), values, MapUpdateFlags.Any, out _), Is.EqualTo(2));
        var back = new byte[2 * map.HostValueSize];
        Assert.That(map.LookupBatch(Keys(1, 2), back, out _), Is.EqualTo(2));
        Assert.That(back, Is.EqualTo(values));
    }

    [Test]
    public void BuffersMustHoldWholeKeysAndMatchingValues()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4));
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => map.UpdateBatch(new byte[12], new byte[16], MapUpdateFlags.Any, out _));
            Assert.Throws<ArgumentException>(() => map.UpdateBatch(new byte[16], new byte[8], MapUpdateFlags.Any, out _));
            Assert.Throws<ArgumentException>(() => map.LookupBatch(new byte[8], new byte[16], out _));
            Assert.Throws<ArgumentException>(() => map.DeleteBatch(new byte[7], out _));
            Assert.That(map.Count, Is.Zero);
        });
    }

    [Test]
    public void AnEmptyBatchDoesNothing()
    {
        using var map = new HashMap(Definition(BpfMapType.Hash, 4));
        Assert.That(map.UpdateBatch([], [], MapUpdateFlags.Any, out int errno), Is.Zero);
        Assert.That(errno, Is.Zero);
    }
}
