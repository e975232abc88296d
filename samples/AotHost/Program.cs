// Runs xdp_counter's count_packets, compiled ahead of time by `bpfjit aot` at build time, on each
// packet given, then prints the map, in the format of `bpfjit run OBJ --packet P --dump-maps`.
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Samples.AotHost;
using Bpf.Samples.Generated;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: AotHost PACKET.hex [PACKET.hex...]");
    Console.Error.WriteLine("Runs xdp_counter's count_packets (compiled ahead of time) on each packet in turn, then prints its map.");
    return 2;
}

var packets = new List<byte[]>();
foreach (string path in args)
{
    try
    {
        packets.Add(PacketFile.Read(path));
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
    {
        Console.Error.WriteLine($"AotHost: {e.Message}");
        return 1;
    }
}

// The generated class loads the object embedded in its assembly (maps, global data) and binds
// the precompiled code on first use: no ELF file, no verifier, no JIT at run time.
using var counter = new XdpCounter(new ExecutionOptions { Trace = line => Console.WriteLine("trace: " + line) }, null);
var program = counter.count_packets;
foreach (byte[] packet in packets)
    Console.WriteLine(RunReport.Describe(XdpContext.Run(program, packet)));
RunReport.DumpMaps(counter.Object, Console.Out);
return 0;
