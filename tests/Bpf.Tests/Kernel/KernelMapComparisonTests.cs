using System.Text;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Kernel;

/// <summary>
/// The same random sequences of updates (BPF_ANY, BPF_NOEXIST, BPF_EXIST and invalid flags),
/// lookups, deletions and key walks on our maps and on the running kernel's, requiring the same
/// results. Only what the kernel makes deterministic is compared: key order is the hash's (so for
/// hash maps only whether a next key exists after a missing key), and LRU maps are compared while
/// they have room, plus the results that cannot depend on what was evicted once they are full.
/// Skipped, saying why, where the kernel's maps cannot be created (not Linux on x86-64, not root, BPF
/// not permitted).
/// </summary>
[NonParallelizable]
public sealed class KernelMapComparisonTests
{
    private const int Steps = 4000;

    private static readonly ulong[] s_validFlags = [0, 1, 2];
    // BPF_F_LOCK (4) without a spin lock, both flags (3), and unknown bits.
    private static readonly ulong[] s_invalidFlags = [3, 4, 5, 8];

    private static KernelMap CreateKernelMap(BpfMapType type, int keySize, int valueSize, int maxEntries, BpfMapFlags flags = BpfMapFlags.None)
    {
        var kernel = KernelMap.TryCreate(type, keySize, valueSize, maxEntries, flags, out string whyNot);
        if (kernel is null)
            Assert.Ignore(whyNot);
        return kernel!;
    }

    [TestCase(BpfMapType.Hash, BpfMapFlags.None, 1)]
    [TestCase(BpfMapType.Hash, BpfMapFlags.None, 2)]
    [TestCase(BpfMapType.Hash, BpfMapFlags.NoPrealloc, 3)]
    [TestCase(BpfMapType.PercpuHash, BpfMapFlags.None, 4)]
    public void HashMapsAgreeWithTheKernel(BpfMapType type, BpfMapFlags flags, int seed)
    {
        // Twice as many keys as room, so that full maps, E2BIG and deletions all happen.
        const int KeySize = 6;
        const int MaxEntries = 16;
        using var kernel = CreateKernelMap(type, KeySize, 12, MaxEntries, flags);
        using var ours = MapFactory.Create(new BpfMapDefinition { Name = "ours", Type = type, KeySize = KeySize, ValueSize = 12, MaxEntries = MaxEntries, Flags = flags });
        new Comparison(ours, kernel, seed, keyCount: 2 * MaxEntries).Run(Steps, [.. s_validFlags, .. s_invalidFlags], orderedKeys: false);
    }

    [TestCase(BpfMapType.LruHash, 5)]
    [TestCase(BpfMapType.LruHash, 6)]
    [TestCase(BpfMapType.LruPercpuHash, 7)]
    public void LruMapsWithRoomAgreeWithTheKernel(BpfMapType type, int seed)
    {
        // The kernel's LRU lists hand free elements to each CPU in batches and may evict before the
        // map is full; with many times more room than keys it never does, so every result is exact.
        const int MaxEntries = 4096;
        using var kernel = CreateKernelMap(type, 8, 12, MaxEntries);
        using var ours = MapFactory.Create(new BpfMapDefinition { Name = "ours", Type = type, KeySize = 8, ValueSize = 12, MaxEntries = MaxEntries });
        new Comparison(ours, kernel, seed, keyCount: 48).Run(Steps, [.. s_validFlags, .. s_invalidFlags], orderedKeys: false);
    }

    [Test]
    public void FullLruMapsAgreeWithTheKernelOnWhatCannotDependOnEvictions()
    {
        const int MaxEntries = 64;
        using var kernel = CreateKernelMap(BpfMapType.LruHash, 8, 8, MaxEntries);
        using var ours = new LruHashMap(new BpfMapDefinition { Name = "ours", Type = BpfMapType.LruHash, KeySize = 8, ValueSize = 8, MaxEntries = MaxEntries });
        var random = new Random(8);
        var value = new byte[8];
        for (int step = 0; step < Steps; step++)
        {
            // Keys below 1<<20 are inserted; keys above it never are.
            ulong inserted = (ulong)random.Next(1 << 20);
            ulong never = (1UL << 20) + (ulong)random.Next(1 << 20);
            random.NextBytes(value);
            var cases = new (string What, int Ours, int Kernel)[]
            {
                ("update BPF_ANY (evicts when full)", Comparison.Update(ours, Key(inserted), value, 0), kernel.Update(Key(inserted), value, 0)),
                ("update BPF_EXIST of a key never inserted", Comparison.Update(ours, Key(never), value, 2), kernel.Update(Key(never), value, 2)),
                ("update with invalid flags", Comparison.Update(ours, Key(never), value, 4), kernel.Update(Key(never), value, 4)),
                ("lookup of a key never inserted", Comparison.Lookup(ours, Key(never), new byte[8]), kernel.Lookup(Key(never), new byte[8])),
                ("delete of a key never inserted", Comparison.Delete(ours, Key(never)), kernel.Delete(Key(never))),
            };
            foreach (var (what, ourResult, kernelResult) in cases)
                Assert.That(ourResult, Is.EqualTo(kernelResult), $"step {step}: {what}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(ours.Count, Is.EqualTo(MaxEntries), "ours is full");
            Assert.That(kernel.Keys(), Has.Count.InRange(1, MaxEntries), "the kernel's holds at most max_entries");
        });
    }

    [TestCase(9)]
    [TestCase(10)]
    public void ArraysAgreeWithTheKernel(int seed)
    {
        using var kernel = CreateKernelMap(BpfMapType.Array, 4, 12, 8);
        using var ours = new ArrayMap(new BpfMapDefinition { Name = "ours", Type = BpfMapType.Array, KeySize = 4, ValueSize = 12, MaxEntries = 8 });
        new Comparison(ours, kernel, seed, keyCount: 12).Run(Steps, [.. s_validFlags, .. s_invalidFlags], orderedKeys: true);
    }

    [TestCase(11)]
    [TestCase(12)]
    public void PerCpuArraysAgreeWithTheKernel(int seed)
    {
        using var kernel = CreateKernelMap(BpfMapType.PercpuArray, 4, 12, 8);
        using var ours = new PerCpuArrayMap(new BpfMapDefinition { Name = "ours", Type = BpfMapType.PercpuArray, KeySize = 4, ValueSize = 12, MaxEntries = 8 });
        new Comparison(ours, kernel, seed, keyCount: 12).Run(Steps, [.. s_validFlags, .. s_invalidFlags], orderedKeys: true);
    }

    private static byte[] Key(ulong key) => BitConverter.GetBytes(key);

    /// <summary>One random sequence run on both maps, step by step.</summary>
    private sealed class Comparison(BpfMap ours, KernelMap kernel, int seed, int keyCount)
    {
        private readonly Random _random = new(seed);
        private readonly List<string> _log = [];
        private readonly int _stride = (ours.ValueSize + 7) & ~7;
        private readonly bool _perCpu = ours.IsPerCpuType;

        public static int Update(BpfMap map, byte[] key, byte[] value, ulong flags)
        {
            try
            {
                map.Update(key, value, (MapUpdateFlags)flags);
                return 0;
            }
            catch (BpfMapException error)
            {
                return error.Errno;
            }
        }

        public static int Lookup(BpfMap map, byte[] key, byte[] value)
        {
            try
            {
                return map.TryLookup(key, value) ? 0 : Errno.ENOENT;
            }
            catch (BpfMapException error)
            {
                return error.Errno;
            }
        }

        public static int Delete(BpfMap map, byte[] key)
        {
            try
            {
                return map.Delete(key) ? 0 : Errno.ENOENT;
            }
            catch (BpfMapException error)
            {
                return error.Errno;
            }
        }

        public void Run(int steps, ulong[] flags, bool orderedKeys)
        {
            for (int step = 0; step < steps; step++)
            {
                byte[] key = RandomKey();
                switch (_random.Next(10))
                {
                    case < 4:
                        ulong flag = flags[_random.Next(flags.Length)];
                        var (ourValue, kernelValue) = RandomValues();
                        Same(step, $"update {Hex(key)} flags {flag}", Update(ours, key, ourValue, flag), kernel.Update(key, kernelValue, flag));
                        break;
                    case < 7:
                        var ourLookup = new byte[ours.HostValueSize];
                        var kernelLookup = new byte[KernelValueSize];
                        int result = Same(step, $"lookup {Hex(key)}", Lookup(ours, key, ourLookup), kernel.Lookup(key, kernelLookup));
                        if (result == 0)
                            SameValue(step, key, ourLookup, kernelLookup);
                        break;
                    case < 9:
                        Same(step, $"delete {Hex(key)}", Delete(ours, key), kernel.Delete(key));
                        break;
                    default:
                        NextKey(step, key, orderedKeys);
                        break;
                }
            }

            SameContents(steps);
        }

        private int KernelValueSize => _perCpu ? _stride * KernelMap.PossibleCpus : ours.ValueSize;

        private byte[] RandomKey()
        {
            var key = new byte[ours.KeySize];
            // Keys from a small set, so that updates, lookups and deletions meet the same keys.
            BitConverter.TryWriteBytes(key, (uint)_random.Next(keyCount));
            if (ours.KeySize > 4 && _random.Next(2) == 0)
                key[^1] = 0x5A;
            return key;
        }

        /// <summary>A random value for each map: the same bytes in every CPU slot both maps have.</summary>
        private (byte[] Ours, byte[] Kernel) RandomValues()
        {
            var ourValue = new byte[ours.HostValueSize];
            var kernelValue = new byte[KernelValueSize];
            if (!_perCpu)
            {
                _random.NextBytes(ourValue);
                ourValue.CopyTo(kernelValue, 0);
                return (ourValue, kernelValue);
            }

            int slots = Math.Max(CpuSlots.Count, KernelMap.PossibleCpus);
            for (int slot = 0; slot < slots; slot++)
            {
                var one = new byte[_stride];
                _random.NextBytes(one.AsSpan(0, ours.ValueSize));
                if (slot < CpuSlots.Count)
                    one.CopyTo(ourValue, slot * _stride);
                if (slot < KernelMap.PossibleCpus)
                    one.CopyTo(kernelValue, slot * _stride);
            }

            return (ourValue, kernelValue);
        }

        private void NextKey(int step, byte[] key, bool orderedKeys)
        {
            var ourNext = new byte[ours.KeySize];
            var kernelNext = new byte[ours.KeySize];
            bool present = Lookup(ours, key, new byte[ours.HostValueSize]) == 0;
            int ourResult = ours.TryGetNextKey(key, ourNext) ? 0 : Errno.ENOENT;
            int kernelResult = kernel.GetNextKey(key, kernelNext);
            if (orderedKeys)
            {
                if (Same(step, $"next key after {Hex(key)}", ourResult, kernelResult) == 0)
                    Assert.That(ourNext, Is.EqualTo(kernelNext), Failure(step, "next keys differ"));
            }
            else if (!present)
            {
                // After a missing key both give their first key: there is one exactly when the map is not empty.
                Same(step, $"next key after missing {Hex(key)}", ourResult, kernelResult);
            }
        }

        private void SameContents(int steps)
        {
            var kernelKeys = kernel.Keys();
            var ourKeys = ours.Keys.ToList();
            Assert.That(ourKeys.Select(Hex).Order(), Is.EqualTo(kernelKeys.Select(Hex).Order()), Failure(steps, "the maps hold different keys at the end"));
            foreach (var key in kernelKeys)
            {
                var ourValue = new byte[ours.HostValueSize];
                var kernelValue = new byte[KernelValueSize];
                Assert.That(ours.TryLookup(key, ourValue), Is.True);
                Assert.That(kernel.Lookup(key, kernelValue), Is.Zero);
                SameValue(steps, key, ourValue, kernelValue);
            }
        }

        private void SameValue(int step, byte[] key, byte[] ourValue, byte[] kernelValue)
        {
            if (!_perCpu)
            {
                Assert.That(ourValue, Is.EqualTo(kernelValue), Failure(step, $"values of {Hex(key)} differ"));
                return;
            }

            for (int slot = 0; slot < Math.Min(CpuSlots.Count, KernelMap.PossibleCpus); slot++)
            {
                Assert.That(ourValue.AsSpan(slot * _stride, ours.ValueSize).ToArray(), Is.EqualTo(kernelValue.AsSpan(slot * _stride, ours.ValueSize).ToArray()),
                    Failure(step, $"values of {Hex(key)} differ in CPU slot {slot}"));
            }
        }

        private int Same(int step, string operation, int ourResult, int kernelResult)
        {
            _log.Add($"{step}: {operation} -> {kernelResult}");
            if (ourResult != kernelResult)
                Assert.Fail(Failure(step, $"{operation}: ours {ourResult}, the kernel's {kernelResult}"));
            return ourResult;
        }

        private string Failure(int step, string what)
        {
            var text = new StringBuilder($"{ours.Type} seed {seed}, step {step}: {what}. Last operations:\n");
            foreach (var line in _log.TakeLast(12))
                text.AppendLine(line);
            return text.ToString();
        }

        private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);
    }
}
