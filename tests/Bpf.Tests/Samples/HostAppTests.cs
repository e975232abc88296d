using System.Diagnostics;
using System.Reflection;

namespace Bpf.Tests.Samples;

/// <summary>
/// samples/HostApp runs (its built dll, as a process) and prints what the C sources of config.c,
/// xdp_counter.c and ringbuf_events.c mean for its packets.
/// </summary>
public class HostAppTests
{
    private const ushort Ipv4 = 0x0800;
    private const ushort Ipv6 = 0x86DD;
    private const ushort Arp = 0x0806;

    [Test]
    public void HostAppPrintsWhatTheProgramsMean()
    {
        // The packets HostApp builds: EtherType and length; its configuration: max_length 1500, drop_ipv6 1.
        (ushort EtherType, int Length)[] packets = [(Ipv4, 60), (Ipv6, 80), (Ipv4, 1600), (Arp, 42)];
        const int maxLength = 1500;
        var expected = new List<string>();

        // config.c: drop when longer than max_length, or IPv6 with drop_ipv6; count passed and dropped.
        bool Dropped((ushort EtherType, int Length) p) => p.Length > maxLength || p.EtherType == Ipv6;
        expected.AddRange(packets.Select(p => $"filter {p.Length} bytes: {(Dropped(p) ? "Drop" : "Pass")}"));
        expected.Add($"passed {packets.Count(p => !Dropped(p))}, dropped {packets.Count(Dropped)}");

        // xdp_counter.c: packets by EtherType.
        expected.AddRange(packets.GroupBy(p => p.EtherType).OrderBy(g => g.Key).Select(g => $"ethertype 0x{g.Key:x4}: {g.Count()} packets"));

        // ringbuf_events.c: a kind-1 record per IPv4 packet (its IP protocol byte is 0 in these packets),
        // the others discarded; a kind-2 summary with the count every 4th packet.
        for (int i = 0; i < packets.Length; i++)
        {
            if (packets[i].EtherType == Ipv4)
                expected.Add($"event kind 1: length {packets[i].Length}, ethertype 0x{Ipv4:x4}, protocol 0");
            if ((i + 1) % 4 == 0)
                expected.Add($"event kind 2: length {i + 1}, ethertype 0x0000, protocol 0");
        }

        var (exitCode, output, error) = Run(RepositoryFiles.BpfSamples);
        Assert.That(exitCode, Is.EqualTo(0), error);
        Assert.That(output, Is.EqualTo(expected));
    }

    [Test]
    public void HostAppFailsCleanlyWithoutItsSamples()
    {
        var (exitCode, _, error) = Run(Path.Combine(RepositoryFiles.Root, "no-such-directory"));
        Assert.That(exitCode, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("FileNotFoundException").Or.Contain("DirectoryNotFoundException"));
    }

    private static (int ExitCode, string[] Output, string Error) Run(string samples)
    {
        string configuration = typeof(HostAppTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string dll = Path.Combine(RepositoryFiles.Root, "samples", "HostApp", "bin", configuration, "net10.0", "HostApp.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the tests (Bpf.Tests references the project)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(samples);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("HostApp did not finish within two minutes");
        }

        return (process.ExitCode, output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray(), error.Result);
    }
}
