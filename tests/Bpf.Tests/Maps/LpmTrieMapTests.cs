using System.Net;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>
/// The LPM trie from the host: longest-prefix match, exact-prefix updates and deletes with the
/// kernel's errors, and the kernel's post-order iteration. The expected answers come from the
/// kernel's documentation of its trie (lpm_trie.c) and from a naive model that scans every prefix.
/// </summary>
public sealed class LpmTrieMapTests
{
    internal static BpfMapDefinition Definition(int dataSize = 4, int maxEntries = 16, int valueSize = 8, BpfMapFlags flags = BpfMapFlags.NoPrealloc) =>
        new() { Name = "trie", Type = BpfMapType.LpmTrie, KeySize = 4 + dataSize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    /// <summary>An IPv4 key from <c>a.b.c.d/len</c> (a bare address is a /32).</summary>
    internal static byte[] V4(string cidr)
    {
        var parts = cidr.Split('/');
        var key = new byte[8];
        BitConverter.TryWriteBytes(key, parts.Length > 1 ? uint.Parse(parts[1]) : 32U);
        IPAddress.Parse(parts[0]).GetAddressBytes().CopyTo(key, 4);
        return key;
    }

    internal static string Show(byte[] key) => $"{new IPAddress(key.AsSpan(4, 4))}/{BitConverter.ToUInt32(key)}";

    internal static ulong? Lookup(LpmTrieMap trie, string cidr)
    {
        var value = new byte[8];
        return trie.TryLookup(V4(cidr), value) ? BitConverter.ToUInt64(value) : null;
    }

    internal static void Add(LpmTrieMap trie, string cidr, ulong value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        trie.Update(V4(cidr), BitConverter.GetBytes(value), flags);

    /// <summary>The example of the kernel's lpm_trie.c: four prefixes, one intermediate node (192.168.0.0/23).</summary>
    internal static LpmTrieMap KernelExample()
    {
        var trie = new LpmTrieMap(Definition());
        Add(trie, "192.168.0.0/16", 1);
        Add(trie, "192.168.0.0/24", 2);
        Add(trie, "192.168.128.0/24", 3);
        Add(trie, "192.168.1.0/24", 5);
        return trie;
    }

    [TestCase("192.168.0.1", 2UL)]
    [TestCase("192.168.1.1", 5UL)]
    [TestCase("192.168.1.255", 5UL)]
    [TestCase("192.168.2.1", 1UL)]
    [TestCase("192.168.128.7", 3UL)]
    [TestCase("192.168.129.7", 1UL)]
    [TestCase("192.169.0.1", null)]
    [TestCase("10.0.0.1", null)]
    [TestCase("192.168.1.1/24", 5UL, TestName = "a lookup key's prefix may equal a stored prefix")]
    [TestCase("192.168.1.1/23", 1UL, TestName = "the intermediate node is never an answer")]
    [TestCase("192.168.1.1/16", 1UL, TestName = "a lookup key's prefix length bounds the match")]
    [TestCase("192.168.1.1/15", null, TestName = "no stored prefix is that short")]
    public void LookupFindsTheLongestMatchingPrefix(string address, ulong? expected)
    {
        using var trie = KernelExample();
        Assert.That(Lookup(trie, address), Is.EqualTo(expected));
    }

    [Test]
    public void ALookupKeyLongerThanTheDataFindsNothing()
    {
        using var trie = KernelExample();
        var key = V4("192.168.1.1");
        BitConverter.TryWriteBytes(key, 33U);
        Assert.That(trie.TryLookup(key, new byte[8]), Is.False);
    }

    [Test]
    public void AZeroLengthPrefixMatchesEverything()
    {
        using var trie = KernelExample();
        Add(trie, "0.0.0.0/0", 100);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "10.0.0.1"), Is.EqualTo(100UL));
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(5UL));
            Assert.That(Lookup(trie, "255.255.255.255/0"), Is.EqualTo(100UL));
        });
    }

    [Test]
    public void BitsCountFromTheMostSignificantBitOfTheFirstByte()
    {
        using var trie = new LpmTrieMap(Definition());
        Add(trie, "128.0.0.0/1", 1); // only the top bit of data[0]
        Add(trie, "0.0.0.0/1", 0);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "128.0.0.0"), Is.EqualTo(1UL));
            Assert.That(Lookup(trie, "127.255.255.255"), Is.EqualTo(0UL));
            Assert.That(Lookup(trie, "255.0.0.1"), Is.EqualTo(1UL));
        });
    }

    [Test]
    public void UpdateReplacesTheValueOfTheSamePrefix()
    {
        using var trie = KernelExample();
        Add(trie, "192.168.1.0/24", 50);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(50UL));
            Assert.That(trie.Count, Is.EqualTo(4));
        });
    }

    [Test]
    public void UpdateFlagsAreTheKernels()
    {
        using var trie = KernelExample();
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "192.168.1.0/24", 9, MapUpdateFlags.NoExist))!.Errno, Is.EqualTo(Errno.EEXIST));
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.0.0/8", 9, MapUpdateFlags.Exist))!.Errno, Is.EqualTo(Errno.ENOENT));
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "192.168.0.0/23", 9, MapUpdateFlags.Exist))!.Errno, Is.EqualTo(Errno.ENOENT), "an intermediate node is not an element");
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.0.0/8", 9, MapUpdateFlags.Lock))!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(5UL));
            Assert.That(trie.Count, Is.EqualTo(4));
        });
        Add(trie, "192.168.1.0/24", 6, MapUpdateFlags.Exist);
        Add(trie, "192.168.0.0/23", 7, MapUpdateFlags.NoExist);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(6UL));
            Assert.That(Lookup(trie, "192.168.1.1/23"), Is.EqualTo(7UL), "the intermediate node became an element");
            Assert.That(Lookup(trie, "192.168.0.1"), Is.EqualTo(2UL));
            Assert.That(trie.Count, Is.EqualTo(5));
        });
    }

    [Test]
    public void APrefixLongerThanTheDataIsInvalid()
    {
        using var trie = new LpmTrieMap(Definition());
        var key = V4("10.0.0.0");
        BitConverter.TryWriteBytes(key, 33U);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => trie.Update(key, new byte[8]))!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(Assert.Throws<BpfMapException>(() => trie.Delete(key))!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(trie.Count, Is.Zero);
        });
    }

    [Test]
    public void AFullTrieRefusesNewPrefixesWithEnospcButReplacesStoredOnes()
    {
        using var trie = new LpmTrieMap(Definition(maxEntries: 2));
        Add(trie, "10.0.0.0/24", 1);
        Add(trie, "10.0.1.0/24", 2); // under an intermediate 10.0.0.0/23
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.0.0/8", 3))!.Errno, Is.EqualTo(Errno.ENOSPC));
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.0.0/23", 3))!.Errno, Is.EqualTo(Errno.ENOSPC), "turning the intermediate node into an element adds one");
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.5.0/24", 3, MapUpdateFlags.Exist))!.Errno, Is.EqualTo(Errno.ENOENT), "BPF_EXIST is checked before the space");
        });
        Add(trie, "10.0.1.0/24", 20);
        Assert.That(trie.Delete(V4("10.0.0.0/24")), Is.True);
        Add(trie, "10.0.0.0/8", 3);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "10.0.1.9"), Is.EqualTo(20UL));
            Assert.That(Lookup(trie, "10.0.0.9"), Is.EqualTo(3UL));
            Assert.That(trie.Count, Is.EqualTo(2));
        });
    }

    [Test]
    public void DeleteRemovesOnlyTheExactPrefix()
    {
        using var trie = KernelExample();
        Assert.Multiple(() =>
        {
            Assert.That(trie.Delete(V4("192.168.1.0/25")), Is.False, "a longer prefix is not stored");
            Assert.That(trie.Delete(V4("192.168.0.0/23")), Is.False, "the intermediate node is not an element");
            Assert.That(trie.Delete(V4("192.168.0.0/8")), Is.False);
            Assert.That(trie.Count, Is.EqualTo(4));
            Assert.That(trie.Delete(V4("192.168.1.0/24")), Is.True);
            Assert.That(trie.Delete(V4("192.168.1.0/24")), Is.False);
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(1UL), "the shorter prefix answers now");
            Assert.That(Lookup(trie, "192.168.0.1"), Is.EqualTo(2UL));
            Assert.That(trie.Count, Is.EqualTo(3));
        });
    }

    [Test]
    public void DeletingAPrefixWithTwoChildrenKeepsThem()
    {
        using var trie = KernelExample();
        Assert.That(trie.Delete(V4("192.168.0.0/16")), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(Lookup(trie, "192.168.0.1"), Is.EqualTo(2UL));
            Assert.That(Lookup(trie, "192.168.1.1"), Is.EqualTo(5UL));
            Assert.That(Lookup(trie, "192.168.128.1"), Is.EqualTo(3UL));
            Assert.That(Lookup(trie, "192.168.2.1"), Is.Null);
            Assert.That(trie.Keys.Select(Show), Is.EqualTo(new[] { "192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24" }));
        });
    }

    [Test]
    public void IterationIsTheKernelsPostOrder()
    {
        // The order lpm_trie.c documents for its example.
        using var trie = KernelExample();
        Assert.That(trie.Keys.Select(Show), Is.EqualTo(new[] { "192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24", "192.168.0.0/16" }));
    }

    [Test]
    public void IterationFromAKeyThatIsNotStoredStartsOver()
    {
        using var trie = KernelExample();
        var next = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(trie.TryGetNextKey(V4("10.0.0.0/8"), next), Is.True);
            Assert.That(Show(next), Is.EqualTo("192.168.0.0/24"));
            Assert.That(trie.TryGetNextKey(V4("192.168.0.0/23"), next), Is.True, "the intermediate node is not a key");
            Assert.That(Show(next), Is.EqualTo("192.168.0.0/24"));
            Assert.That(trie.TryGetNextKey(V4("192.168.128.0/24"), next), Is.True);
            Assert.That(Show(next), Is.EqualTo("192.168.0.0/16"));
            Assert.That(trie.TryGetNextKey(V4("192.168.0.0/16"), next), Is.False, "the root is last");
        });
    }

    [Test]
    public void AnEmptyTrieHasNoKeys()
    {
        using var trie = new LpmTrieMap(Definition());
        Assert.That(trie.TryGetNextKey([], new byte[8]), Is.False);
    }

    [Test]
    public void KeyBitsPastThePrefixAreKeptAsTheKernelKeepsThem()
    {
        using var trie = new LpmTrieMap(Definition());
        Add(trie, "10.1.2.3/8", 1);
        Assert.That(trie.Keys.Select(Show), Is.EqualTo(new[] { "10.1.2.3/8" }));
        Add(trie, "10.9.9.9/8", 2, MapUpdateFlags.Exist); // the same prefix: replaces, with the new data
        Assert.Multiple(() =>
        {
            Assert.That(trie.Keys.Select(Show), Is.EqualTo(new[] { "10.9.9.9/8" }));
            Assert.That(Lookup(trie, "10.200.0.0"), Is.EqualTo(2UL));
            Assert.That(trie.Delete(V4("10.0.0.0/8")), Is.True);
            Assert.That(trie.Count, Is.Zero);
        });
    }

    [Test]
    public void WideKeysWork()
    {
        // 256 bytes of data: prefixes up to 2048 bits, parting deep in the data.
        using var trie = new LpmTrieMap(Definition(dataSize: 256));
        var a = trie.Key(2048, Enumerable.Repeat((byte)0xAB, 256).ToArray());
        var bData = Enumerable.Repeat((byte)0xAB, 256).ToArray();
        bData[200] = 0xAA; // parts from a at bit 200 * 8 + 7
        var b = trie.Key(2048, bData);
        var common = trie.Key(200 * 8 + 7, bData);
        trie.Update(a, BitConverter.GetBytes(1UL));
        trie.Update(b, BitConverter.GetBytes(2UL));
        trie.Update(common, BitConverter.GetBytes(3UL));
        var probe = (byte[])bData.Clone();
        probe[255] = 0;
        var value = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(trie.TryLookup(a, value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(1UL));
            Assert.That(trie.TryLookup(b, value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(2UL));
            Assert.That(trie.TryLookup(trie.Key(2048, probe), value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(3UL));
            Assert.That(trie.Keys.Count(), Is.EqualTo(3));
        });
    }

    [Test]
    public void MatchesAModelThatScansEveryPrefix([Values(1, 2, 3)] int seed)
    {
        // Two bytes of data and short prefixes, so that prefixes nest, part and collide often.
        const int maxEntries = 40;
        var random = new Random(seed);
        using var trie = new LpmTrieMap(Definition(dataSize: 2, maxEntries: maxEntries));
        var model = new Dictionary<(int Length, ushort Bits), ulong>();
        static ushort Mask(int length) => (ushort)(length == 0 ? 0 : 0xFFFF << (16 - length));
        byte[] Key(int length, ushort bits) => trie.Key((uint)length, [(byte)(bits >> 8), (byte)bits]);
        ulong? ModelLookup(int length, ushort bits)
        {
            for (int l = length; l >= 0; l--)
            {
                if (model.TryGetValue((l, (ushort)(bits & Mask(l))), out ulong v))
                    return v;
            }

            return null;
        }

        for (int step = 0; step < 3000; step++)
        {
            int length = random.Next(0, 17);
            ushort bits = (ushort)(random.Next(0, 1 << 16) & 0xE1E1 & Mask(length)); // few distinct bits: prefixes collide
            var key = Key(length, bits);
            switch (random.Next(0, 3))
            {
                case 0:
                {
                    ulong value = (ulong)step;
                    long expected = model.ContainsKey((length, bits)) ? 0 : model.Count == maxEntries ? -Errno.ENOSPC : 0;
                    long actual = 0;
                    try
                    {
                        trie.Update(key, BitConverter.GetBytes(value));
                    }
                    catch (BpfMapException e)
                    {
                        actual = -e.Errno;
                    }

                    Assert.That(actual, Is.EqualTo(expected), $"step {step}: update of {bits:x4}/{length}");
                    if (actual == 0)
                        model[(length, bits)] = value;
                    break;
                }

                case 1:
                    Assert.That(trie.Delete(key), Is.EqualTo(model.Remove((length, bits))), $"step {step}: delete of {bits:x4}/{length}");
                    break;
                default:
                {
                    int probeLength = random.Next(0, 17);
                    ushort probe = (ushort)random.Next(0, 1 << 16);
                    var value = new byte[8];
                    ulong? actual = trie.TryLookup(Key(probeLength, probe), value) ? BitConverter.ToUInt64(value) : null;
                    Assert.That(actual, Is.EqualTo(ModelLookup(probeLength, probe)), $"step {step}: lookup of {probe:x4}/{probeLength}");
                    break;
                }
            }

            Assert.That(trie.Count, Is.EqualTo(model.Count));
        }

        var keys = trie.Keys.Select(k => (Length: (int)BitConverter.ToUInt32(k), Bits: (ushort)(k[4] << 8 | k[5]))).ToList();
        var expectedOrder = model.Keys.ToList();
        expectedOrder.Sort(PostOrder);
        Assert.That(keys, Is.EqualTo(expectedOrder), "every stored prefix once, in post-order");

        // The kernel's post-order: a prefix after every prefix it contains; otherwise the one with a 0
        // at the first bit where they differ first.
        static int PostOrder((int Length, ushort Bits) a, (int Length, ushort Bits) b)
        {
            int shorter = Math.Min(a.Length, b.Length);
            int differ = (a.Bits ^ b.Bits) & Mask(shorter);
            if (differ == 0)
                return b.Length.CompareTo(a.Length);
            int bit = 15 - (31 - int.LeadingZeroCount(differ));
            return ((a.Bits >> (15 - bit)) & 1) == 0 ? -1 : 1;
        }
    }

    [Test]
    public void TheHostMayNotChangeAReadOnlyTrie()
    {
        using var trie = new LpmTrieMap(Definition(flags: BpfMapFlags.NoPrealloc | BpfMapFlags.ReadOnly));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => Add(trie, "10.0.0.0/8", 1))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => trie.Delete(V4("10.0.0.0/8")))!.Errno, Is.EqualTo(Errno.EPERM));
        });
    }

    [Test]
    public void KeysAndValuesOfTheWrongSizeAreRejected()
    {
        using var trie = new LpmTrieMap(Definition());
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => trie.Update(new byte[7], new byte[8]));
            Assert.Throws<ArgumentException>(() => trie.Update(new byte[8], new byte[4]));
            Assert.Throws<ArgumentException>(() => trie.TryLookup(new byte[9], new byte[8]));
            Assert.Throws<ArgumentException>(() => trie.Delete(new byte[4]));
            Assert.Throws<ArgumentException>(() => trie.TryGetNextKey(new byte[3], new byte[8]));
            Assert.That(trie.Count, Is.Zero);
        });
    }

    [TestCase(4, 8, 16, BpfMapFlags.None, TestName = "without BPF_F_NO_PREALLOC (the kernel's EINVAL)")]
    [TestCase(0, 8, 16, BpfMapFlags.NoPrealloc, TestName = "no key data")]
    [TestCase(257, 8, 16, BpfMapFlags.NoPrealloc, TestName = "more than 256 bytes of key data")]
    [TestCase(4, 0, 16, BpfMapFlags.NoPrealloc, TestName = "no value")]
    [TestCase(4, 8, 0, BpfMapFlags.NoPrealloc, TestName = "no entries")]
    [TestCase(4, 8, 16, BpfMapFlags.NoPrealloc | BpfMapFlags.ZeroSeed, TestName = "a flag tries do not take")]
    public void DefinitionsTheKernelRefusesAreRejected(int dataSize, int valueSize, int maxEntries, BpfMapFlags flags) =>
        Assert.Throws<ArgumentException>(() => MapFactory.Create(Definition(dataSize, maxEntries, valueSize, flags)));

    [Test]
    public void TheFactoryMakesTries()
    {
        using var trie = MapFactory.Create(Definition(dataSize: 256));
        Assert.That(trie, Is.InstanceOf<LpmTrieMap>());
    }
}
