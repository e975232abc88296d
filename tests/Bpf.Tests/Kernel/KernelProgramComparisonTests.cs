using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Kernel;

/// <summary>
/// The XDP samples run in the Linux kernel (loaded by libbpf, run by <c>BPF_PROG_TEST_RUN</c>)
/// and here, on every engine, with the same packets: return values, packets after the run and map
/// contents must be the same. Skips with the reason when the kernel cannot be used (not root, no
/// libbpf, BPF restricted).
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class KernelProgramComparisonTests(string engineName)
{
    private readonly IBpfEngine _engine = Engines.Get(engineName);

    private static KernelObject LoadInKernel(string sample, Action<KernelObject>? configure = null) =>
        KernelObject.TryLoad(RepositoryFiles.SampleObject(sample), out string whyNot, configure) ?? throw new IgnoreException(whyNot);

    /// <summary>Runs the packets in the kernel and here; asserts equal results; returns our object for map checks.</summary>
    private BpfObject RunBoth(KernelObject kernel, string sample, string program, IEnumerable<byte[]> packets,
        Action<BpfObject>? configure = null)
    {
        var ours = BpfObject.Load(RepositoryFiles.SampleObject(sample));
        configure?.Invoke(ours);
        var executable = ours.Programs[program].Prepare(_engine);
        int index = 0;
        foreach (var packet in packets)
        {
            var (kernelResult, kernelPacket) = kernel.TestRun(program, packet);
            var result = XdpContext.Run(executable, packet);
            Assert.That(result.ReturnValue, Is.EqualTo(kernelResult), $"{sample}: packet {index} returned {result.ReturnValue} here and {kernelResult} in the kernel");
            Assert.That(result.Packet, Is.EqualTo(kernelPacket), $"{sample}: packet {index} after the run");
            index++;
        }

        return ours;
    }

    private static Dictionary<string, string> Entries(BpfMap map)
    {
        var entries = new Dictionary<string, string>();
        var value = new byte[map.HostValueSize];
        foreach (var key in map.Keys)
        {
            if (map.TryLookup(key, value))
                entries[Convert.ToHexString(key)] = Convert.ToHexString(value);
        }

        return entries;
    }

    [Test]
    public void XdpCounterAgreesWithTheKernel()
    {
        using var kernel = LoadInKernel("xdp_counter");
        byte[][] packets = [Packets.Ipv4To("10.0.0.1"), Packets.Ethernet(Packets.Arp), Packets.Ipv4To("10.0.0.2"), Packets.Ethernet(Packets.Ipv6, 80), Packets.Ethernet(0x88cc, 14)];
        using var ours = RunBoth(kernel, "xdp_counter", "count_packets", packets);
        Assert.That(Entries(ours.Map("packets_by_ethertype")), Is.EquivalentTo(kernel.Entries("packets_by_ethertype", 2, 8)));
    }

    [Test]
    public void ConfigurationAgreesWithTheKernel()
    {
        byte[]? rodata = null;
        void Configure(BpfObject ours)
        {
            ours.Variable("max_length").Set(100u);
            ours.Variable("drop_ipv6").Set((byte)1);
            rodata = ours.Map(".rodata") is ArrayMap map ? map.ValueAt(0).ToArray() : null;
        }

        // Configure ours first to learn the .rodata bytes, then give the kernel the same.
        using (var probe = BpfObject.Load(RepositoryFiles.SampleObject("config")))
            Configure(probe);
        using var kernel = LoadInKernel("config", k => k.SetInitialValue(".rodata", rodata!));
        byte[][] packets = [Packets.Ipv4To("1.2.3.4", length: 60), Packets.Ethernet(Packets.Ipv4, 200), Packets.Ethernet(Packets.Ipv6, 60), Packets.Ethernet(Packets.Arp, 42)];
        using var ours = RunBoth(kernel, "config", "filter_by_config", packets, Configure);
        Assert.That(Entries(ours.Map(".bss")), Is.EquivalentTo(kernel.Entries(".bss", 4, ours.Map(".bss").ValueSize)));
        Assert.That(Entries(ours.Map(".data")), Is.EquivalentTo(kernel.Entries(".data", 4, ours.Map(".data").ValueSize)));
    }

    [Test]
    public void LpmRouterAgreesWithTheKernel()
    {
        (string Prefix, int Length, uint Action, uint Counter)[] routes =
            [("10.0.0.0", 8, 2, 1), ("10.1.0.0", 16, 3, 2), ("192.168.1.7", 32, 1, 3), ("0.0.0.0", 0, 2, 4)];
        static byte[] Key(string prefix, int length) => [.. BitConverter.GetBytes((uint)length), .. Packets.Address(prefix)];
        static byte[] Value(uint action, uint counter) => [.. BitConverter.GetBytes(action), .. BitConverter.GetBytes(counter)];

        using var kernel = LoadInKernel("lpm_router");
        foreach (var route in routes)
            kernel.Update("routes", Key(route.Prefix, route.Length), Value(route.Action, route.Counter));
        byte[][] packets =
        [
            Packets.Ipv4To("10.1.2.3"), Packets.Ipv4To("10.9.9.9"), Packets.Ipv4To("192.168.1.7"), Packets.Ipv4To("192.168.1.8"),
            Packets.Ipv4To("8.8.8.8"), Packets.Ethernet(Packets.Arp),
        ];
        using var ours = RunBoth(kernel, "lpm_router", "route_ipv4", packets, o =>
        {
            foreach (var route in routes)
                o.Map("routes").Update(Key(route.Prefix, route.Length), Value(route.Action, route.Counter));
        });
        Assert.That(Entries(ours.Map("route_hits")), Is.EquivalentTo(kernel.Entries("route_hits", 4, 8)));
    }

    [Test]
    public void TailCallDispatcherAgreesWithTheKernel()
    {
        using var kernel = LoadInKernel("tail_calls");
        byte[][] packets = [Packets.Ipv4To("10.0.0.1"), Packets.Ethernet(Packets.Ipv6), Packets.Ethernet(Packets.Arp), Packets.Ethernet(0x1234), Packets.Ipv4To("10.0.0.2")];
        using var ours = RunBoth(kernel, "tail_calls", "dispatch", packets);
        Assert.That(Entries(ours.Map("handled")), Is.EquivalentTo(kernel.Entries("handled", 4, 8)));
    }
}
