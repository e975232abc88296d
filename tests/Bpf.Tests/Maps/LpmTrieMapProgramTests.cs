using System.Collections.Concurrent;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Maps;

/// <summary>The LPM trie from programs, on every engine, and programs looking up while the host changes it.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class LpmTrieMapProgramTests(string engine)
{
    private const int HostHook = 1200;
    private const ulong NotFound = ulong.MaxValue;

    // The input memory is the key: look it up and return the value's first 8 bytes, or -1.
    private const string LookupInput = """
        mov %r2, %r1
        lddw %r1, map_idx(0)
        call 1
        jne %r0, 0, +2
        mov %r0, -1
        exit
        ldxdw %r0, [%r0+0]
        exit
        """;

    // The input memory is a key (8 bytes) and a value (8 bytes).
    private const string UpdateInput = "mov %r2, %r1\nmov %r3, %r1\nadd %r3, 8\nlddw %r1, map_idx(0)\nmov %r4, {0}\ncall 2\nexit";
    private const string DeleteInput = "mov %r2, %r1\nlddw %r1, map_idx(0)\ncall 3\nexit";

    private BpfExecutable Prepare(string source, BpfMap map, ExecutionOptions? options = null) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [map]), options ?? ExecutionOptions.Default);

    private static byte[] KeyAndValue(string cidr, ulong value) => [.. LpmTrieMapTests.V4(cidr), .. BitConverter.GetBytes(value)];

    [TestCase("192.168.0.1", 2UL)]
    [TestCase("192.168.1.1", 5UL)]
    [TestCase("192.168.2.1", 1UL)]
    [TestCase("192.168.128.7", 3UL)]
    [TestCase("192.168.1.1/23", 1UL)]
    [TestCase("10.0.0.1", NotFound)]
    public void ProgramsFindTheLongestMatchingPrefix(string address, ulong expected)
    {
        using var trie = LpmTrieMapTests.KernelExample();
        Assert.That(Prepare(LookupInput, trie).Run(LpmTrieMapTests.V4(address)), Is.EqualTo(expected));
    }

    [TestCase("10.0.0.2", XdpAction.Tx, TestName = "a /32 route")]
    [TestCase("10.0.0.9", XdpAction.Redirect, TestName = "a /24 route")]
    [TestCase("10.7.0.9", XdpAction.Pass, TestName = "a /8 route")]
    [TestCase("11.0.0.2", XdpAction.Drop, TestName = "no route")]
    public void AnXdpRouterLooksUpTheDestinationOfEachPacket(string destination, XdpAction expected)
    {
        // What samples/bpf/lpm_router.c does: the key is {32, daddr} with daddr as it lies in the packet.
        const string router = """
            ldxw %r2, [%r1+0]
            ldxw %r3, [%r1+4]
            mov %r4, %r2
            add %r4, 34
            jgt %r4, %r3, pass
            ldxh %r5, [%r2+12]
            jne %r5, 0x0008, pass
            ldxw %r5, [%r2+30]
            stw [%r10-8], 32
            stxw [%r10-4], %r5
            lddw %r1, map_idx(0)
            mov %r2, %r10
            add %r2, -8
            call 1
            jeq %r0, 0, drop
            ldxw %r0, [%r0+0]
            exit
            drop:
            mov %r0, 1
            exit
            pass:
            mov %r0, 2
            exit
            """;
        using var routes = new LpmTrieMap(LpmTrieMapTests.Definition());
        LpmTrieMapTests.Add(routes, "10.0.0.0/8", (ulong)XdpAction.Pass);
        LpmTrieMapTests.Add(routes, "10.0.0.0/24", (ulong)XdpAction.Redirect);
        LpmTrieMapTests.Add(routes, "10.0.0.2/32", (ulong)XdpAction.Tx);
        var program = Engines.Get(engine).Prepare(
            new ProgramImage(Assembler.Assemble(router), [routes], type: ProgramType.ForKind(BpfProgramKind.Xdp)), ExecutionOptions.Default);
        byte[] packet =
        [
            0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 168, 0, 1, 0, 0, 0, 0,
        ];
        System.Net.IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 30);
        Assert.That(XdpContext.Run(program, packet).Action, Is.EqualTo(expected));
    }

    [Test]
    public void TheLpmRouterSampleRoutesByLongestPrefixAndCountsHits()
    {
        // samples/bpf/lpm_router.o as clang built it: the key is {32, daddr}, the value {action, counter}.
        using var sample = BpfObject.Load(RepositoryFiles.SampleObject("lpm_router"));
        var routes = (LpmTrieMap)sample.Map("routes");
        var hits = (ArrayMap)sample.Map("route_hits");
        void Route(string cidr, XdpAction action, uint counter) =>
            routes.Update(LpmTrieMapTests.V4(cidr), [.. BitConverter.GetBytes((uint)action), .. BitConverter.GetBytes(counter)]);
        Route("10.0.0.0/8", XdpAction.Pass, 0);
        Route("10.1.0.0/16", XdpAction.Tx, 1);
        Route("10.1.2.3/32", XdpAction.Aborted, 2);
        var program = sample.Programs["route_ipv4"].Prepare(Engines.Get(engine));
        var actions = new[] { "10.9.9.9", "10.1.9.9", "10.1.2.3", "10.1.2.4", "11.0.0.1" }
            .Select(destination => XdpContext.Run(program, Packets.Ipv4To(destination)).Action)
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(actions, Is.EqualTo(new[] { XdpAction.Pass, XdpAction.Tx, XdpAction.Aborted, XdpAction.Tx, XdpAction.Drop }));
            Assert.That(BitConverter.ToUInt64(hits.ValueAt(0)), Is.EqualTo(1UL));
            Assert.That(BitConverter.ToUInt64(hits.ValueAt(1)), Is.EqualTo(2UL));
            Assert.That(BitConverter.ToUInt64(hits.ValueAt(2)), Is.EqualTo(1UL));
        });
    }

    [Test]
    public void ProgramsUpdateAndDeleteWithTheKernelsErrors()
    {
        using var trie = new LpmTrieMap(LpmTrieMapTests.Definition(maxEntries: 2));
        var update = Prepare(string.Format(UpdateInput, 0), trie);
        var updateNoExist = Prepare(string.Format(UpdateInput, 1), trie);
        var updateExist = Prepare(string.Format(UpdateInput, 2), trie);
        var delete = Prepare(DeleteInput, trie);
        var tooLong = KeyAndValue("10.0.0.0", 1);
        BitConverter.TryWriteBytes(tooLong, 33U);
        Assert.Multiple(() =>
        {
            Assert.That(update.Run(KeyAndValue("10.0.0.0/8", 1)), Is.Zero);
            Assert.That(updateNoExist.Run(KeyAndValue("10.0.0.0/8", 2)), Is.EqualTo(Errno.Negative(Errno.EEXIST)));
            Assert.That(updateExist.Run(KeyAndValue("10.1.0.0/16", 2)), Is.EqualTo(Errno.Negative(Errno.ENOENT)));
            Assert.That(update.Run(tooLong), Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(updateExist.Run(KeyAndValue("10.0.0.0/8", 3)), Is.Zero);
            Assert.That(updateNoExist.Run(KeyAndValue("10.1.0.0/16", 4)), Is.Zero);
            Assert.That(update.Run(KeyAndValue("10.2.0.0/16", 5)), Is.EqualTo(Errno.Negative(Errno.ENOSPC)));
            Assert.That(LpmTrieMapTests.Lookup(trie, "10.1.2.3"), Is.EqualTo(4UL));
            Assert.That(LpmTrieMapTests.Lookup(trie, "10.2.2.3"), Is.EqualTo(3UL));
            Assert.That(delete.Run(LpmTrieMapTests.V4("10.1.0.0/16")), Is.Zero);
            Assert.That(delete.Run(LpmTrieMapTests.V4("10.1.0.0/16")), Is.EqualTo(Errno.Negative(Errno.ENOENT)));
            Assert.That(delete.Run(tooLong), Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(LpmTrieMapTests.Lookup(trie, "10.1.2.3"), Is.EqualTo(3UL));
            Assert.That(trie.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void ProgramsWriteValuesInPlace()
    {
        using var trie = LpmTrieMapTests.KernelExample();
        ulong result = Prepare("""
            mov %r2, %r1
            lddw %r1, map_idx(0)
            call 1
            jeq %r0, 0, +2
            stdw [%r0+0], 77
            mov %r0, 0
            exit
            """, trie).Run(LpmTrieMapTests.V4("192.168.1.9"));
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(LpmTrieMapTests.Lookup(trie, "192.168.1.0/24"), Is.EqualTo(77UL));
            Assert.That(LpmTrieMapTests.Lookup(trie, "192.168.0.0/24"), Is.EqualTo(2UL));
        });
    }

    [Test]
    public void ValuesAddedAfterTheProgramWasPreparedAreReachableInCheckedMode()
    {
        // The trie's value memory grows in chunks after the program was prepared.
        using var trie = new LpmTrieMap(LpmTrieMapTests.Definition(maxEntries: 500));
        var lookup = Prepare(LookupInput, trie);
        for (int i = 0; i < 300; i++)
            LpmTrieMapTests.Add(trie, $"10.{i / 256}.{i % 256}.0/24", (ulong)i);
        Assert.Multiple(() =>
        {
            Assert.That(trie.ValueRegions, Has.Count.GreaterThan(1));
            Assert.That(lookup.Run(LpmTrieMapTests.V4("10.1.33.4")), Is.EqualTo(256UL + 33));
            Assert.That(lookup.Run(LpmTrieMapTests.V4("10.0.3.4")), Is.EqualTo(3UL));
        });
    }

    [Test]
    public void AValueAProgramHoldsSurvivesTheHostDeletingAndReplacingEntries()
    {
        using var trie = LpmTrieMapTests.KernelExample();
        var helpers = HelperRegistry.CreateDefault().Register(HostHook, "test_host_churn", (_, _, _, _, _, _) =>
        {
            // Meanwhile, on the host: the program's prefix is deleted and others come and go.
            trie.Delete(LpmTrieMapTests.V4("192.168.1.0/24"));
            for (ulong i = 0; i < 100; i++)
                LpmTrieMapTests.Add(trie, "192.168.1.0/25", 1000 + i);
            return 0;
        });
        ulong result = Prepare($"""
            mov %r2, %r1
            lddw %r1, map_idx(0)
            call 1
            mov %r6, %r0
            call {HostHook}
            ldxdw %r0, [%r6+0]
            exit
            """, trie, ExecutionOptions.Default with { Helpers = helpers }).Run(LpmTrieMapTests.V4("192.168.1.1"));
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(5UL), "the deleted element's value is still there for the program that found it");
            Assert.That(LpmTrieMapTests.Lookup(trie, "192.168.1.1"), Is.EqualTo(1099UL));
        });
    }

    [Test]
    public void AReadOnlyForProgramsTrieRefusesProgramUpdatesAndWrites()
    {
        using var trie = new LpmTrieMap(LpmTrieMapTests.Definition(flags: BpfMapFlags.NoPrealloc | BpfMapFlags.ReadOnlyProgram));
        LpmTrieMapTests.Add(trie, "10.0.0.0/8", 1);
        var write = Prepare("mov %r2, %r1\nlddw %r1, map_idx(0)\ncall 1\nstdw [%r0+0], 2\nmov %r0, 0\nexit", trie);
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(string.Format(UpdateInput, 0), trie).Run(KeyAndValue("10.1.0.0/16", 1)), Is.EqualTo(Errno.Negative(Errno.EPERM)));
            Assert.That(Prepare(DeleteInput, trie).Run(LpmTrieMapTests.V4("10.0.0.0/8")), Is.EqualTo(Errno.Negative(Errno.EPERM)));
            Assert.That(Prepare(LookupInput, trie).Run(LpmTrieMapTests.V4("10.1.1.1")), Is.EqualTo(1UL));
            Assert.That(Assert.Throws<BpfRuntimeException>(() => write.Run(LpmTrieMapTests.V4("10.1.1.1")))!.Kind, Is.EqualTo(TrapKind.ReadOnlyMemory));
            Assert.That(LpmTrieMapTests.Lookup(trie, "10.1.1.1"), Is.EqualTo(1UL));
        });
    }

    [Test]
    public void ProgramsCannotIterateATrie()
    {
        // The kernel has no bpf_for_each_map_elem for tries.
        using var trie = LpmTrieMapTests.KernelExample();
        ulong result = Prepare("""
            lddw %r1, map_idx(0)
            lddw %r2, func(visit)
            mov %r3, 0
            mov %r4, 0
            call 164
            exit
            visit:
            mov %r0, 0
            exit
            """, trie).Run([]);
        Assert.That(result, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
    }

    [Test]
    public void LookupsBesideHostUpdatesAlwaysGiveOneOfTheValidAnswers()
    {
        // 10.1.2.3 always matches the stable 10.0.0.0/8 (id 0) and, while they are stored, the
        // prefixes with ids 1-3; the prefixes with ids 4-7 never match it. Values are id << 32 | version.
        string[] prefixes = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.3.0/24", "10.2.0.0/16", "10.1.2.2/32", "10.1.2.128/25"];
        const int updates = 20000;
        using var trie = new LpmTrieMap(LpmTrieMapTests.Definition(maxEntries: 64));
        LpmTrieMapTests.Add(trie, prefixes[0], 0);
        var lookup = Prepare(LookupInput, trie);
        var probe = LpmTrieMapTests.V4("10.1.2.3");
        var wrong = new ConcurrentBag<string>();
        var seen = new ConcurrentDictionary<ulong, bool>();
        int done = 0;
        int started = 0;
        var model = new Dictionary<int, ulong> { [0] = 0 };

        void Writer()
        {
            // Start only when every reader runs, or on a busy machine they may all start after the writer ends.
            while (Volatile.Read(ref started) < 3)
                Thread.Yield();
            var random = new Random(7);
            for (int i = 1; i <= updates; i++)
            {
                int id = random.Next(1, prefixes.Length);
                if (random.Next(0, 3) == 0)
                {
                    trie.Delete(LpmTrieMapTests.V4(prefixes[id]));
                    model.Remove(id);
                }
                else
                {
                    ulong value = (ulong)id << 32 | (uint)i;
                    LpmTrieMapTests.Add(trie, prefixes[id], value);
                    model[id] = value;
                }
            }

            Volatile.Write(ref done, 1);
        }

        void Check(ulong result, string who)
        {
            if (result == NotFound || result >> 32 > 3)
                wrong.Add($"{who} got {(result == NotFound ? "nothing" : $"prefix {prefixes[result >> 32]}")}");
            else
                seen.TryAdd(result >> 32, true);
        }

        void ProgramReader()
        {
            Interlocked.Increment(ref started);
            while (Volatile.Read(ref done) == 0)
                Check(lookup.Run(probe), "a program");
        }

        void HostReader()
        {
            var value = new byte[8];
            Interlocked.Increment(ref started);
            while (Volatile.Read(ref done) == 0)
                Check(trie.TryLookup(probe, value) ? BitConverter.ToUInt64(value) : NotFound, "the host");
        }

        var errors = QueueMapTests.RunConcurrently(Writer, ProgramReader, ProgramReader, HostReader);

        var expectedFinal = model.Where(e => e.Key <= 3).MaxBy(e => e.Key).Value;
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(wrong.Take(5), Is.Empty, "every lookup found a prefix that contains the address");
            Assert.That(seen.Keys, Has.Count.GreaterThan(1), "the readers saw the trie change under them");
            Assert.That(lookup.Run(probe), Is.EqualTo(expectedFinal), "the trie ends as the writer left it");
            Assert.That(trie.Count, Is.EqualTo(model.Count));
            Assert.That(trie.Keys.Count(), Is.EqualTo(model.Count));
        });
    }
}
