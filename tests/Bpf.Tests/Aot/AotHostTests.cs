using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Bpf.Cli.Input;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Tests.Cli;

namespace Bpf.Tests.Aot;

/// <summary>
/// samples/AotHost published with NativeAOT: the publish (which runs <c>bpfjit aot</c> on
/// xdp_counter.o, compiles the host and the generated assembly with ILC and links them) prints no
/// warning, and the native executable prints what the JIT prints for the same packets. The publish
/// runs once for the fixture (about 40 s, most of it ILC); it is skipped only when the NativeAOT
/// toolchain is missing (no C compiler to link with, or the ILCompiler package cannot be restored).
/// </summary>
[NonParallelizable]
public partial class AotHostTests
{
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromMinutes(4);

    private TemporaryDirectory? _output;
    private string _publishOutput = "";
    private string _executable = "";

    private static string Packet(string name) => Path.Combine(RepositoryFiles.BpfSamples, "packets", name + ".hex");

    [OneTimeSetUp]
    public void Publish()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture is not (Architecture.X64 or Architecture.Arm64))
            Assert.Ignore($"the test publishes for linux-x64 or linux-arm64, not {RuntimeInformation.OSDescription} on {RuntimeInformation.OSArchitecture}");
        if (FindOnPath("clang") is null && FindOnPath("gcc") is null)
            Assert.Ignore("NativeAOT links with clang or gcc and neither is on PATH");

        _output = new TemporaryDirectory();
        string rid = RuntimeInformation.OSArchitecture == Architecture.X64 ? "linux-x64" : "linux-arm64";
        string project = Path.Combine(RepositoryFiles.Root, "samples", "AotHost", "AotHost.csproj");
        var publish = Run(DotnetHost(), ["publish", project, "-c", "Release", "-r", rid, "-o", _output.Path, "--disable-build-servers", "-nologo"], s_publishTimeout);
        _publishOutput = publish.Out + publish.Error;
        if (publish.ExitCode != 0 && RestoreFailure().Match(_publishOutput) is { Success: true } restore)
            Assert.Ignore($"the NativeAOT compiler package cannot be restored: {restore.Value.Trim()}");
        Assert.That(publish.ExitCode, Is.EqualTo(0), $"dotnet publish failed:\n{_publishOutput}");
        _executable = Path.Combine(_output.Path, "AotHost");
    }

    [OneTimeTearDown]
    public void DeleteOutput() => _output?.Dispose();

    [Test]
    public void ThePublishPrintsNoWarning()
    {
        Assert.That(Warning().Matches(_publishOutput).Select(m => m.Value), Is.Empty, _publishOutput);
        Assert.That(_publishOutput, Does.Contain("Generating native code"), "the publish ran ILC");
    }

    [Test]
    public void TheOutputIsANativeExecutableWithoutManagedAssemblies()
    {
        Assert.That(File.Exists(_executable), _executable);
        byte[] header = File.ReadAllBytes(_executable).AsSpan(0, 4).ToArray();
        Assert.That(header, Is.EqualTo("\u007fELF"u8.ToArray()), "an ELF executable");
        Assert.That(Directory.GetFiles(_output!.Path, "*.dll"), Is.Empty, "no IL left to load: Bpf.Core and XdpCounter.dll are compiled in");
    }

    [Test]
    public void OnePacketPrintsWhatBpfjitRunPrints()
    {
        var jit = ToolRun.Invoke("run", RepositoryFiles.SampleObject("xdp_counter"), "--packet", Packet("ipv4"), "--dump-maps", "--verify", "--engine", "jit");
        Assert.That(jit.ExitCode, Is.EqualTo(0), jit.ToString());

        var native = Run(_executable, [Packet("ipv4")], TimeSpan.FromSeconds(30));
        Assert.That(native.ExitCode, Is.EqualTo(0), native.Error);
        Assert.That(native.Error, Is.Empty);
        Assert.That(native.Out, Is.EqualTo(jit.Out));
    }

    [Test]
    public void ASequenceOfPacketsCountsAndPrintsLikeTheJit()
    {
        string[] packets = ["ipv4", "arp", "ipv6", "ipv4", "large-ipv4", "arp", "ipv4"];
        var native = Run(_executable, packets.Select(Packet).ToArray(), TimeSpan.FromSeconds(30));
        Assert.That(native.ExitCode, Is.EqualTo(0), native.Error);

        // The same runs on the JIT, described by the code behind `bpfjit run --dump-maps`.
        var expected = new StringWriter();
        using (var obj = BpfObject.Load(RepositoryFiles.SampleObject("xdp_counter")))
        {
            var program = obj.Programs["count_packets"].Prepare(JitEngine.Instance, new ExecutionOptions { Checked = false });
            foreach (string packet in packets)
                expected.WriteLine(ObjectRunner.RunOnce(program, HexText.Parse(File.ReadAllText(Packet(packet)), packet)));
            ObjectRunner.DumpMaps(obj, expected);
        }

        // A hash map lists its entries in an order that changes from process to process (its hash
        // is seeded, as the kernel's): entries are compared as sets, everything else line by line.
        Assert.That(WithSortedEntries(native.Out), Is.EqualTo(WithSortedEntries(expected.ToString())));
        Assert.That(native.Out, Does.Contain("  00 08 (2048) => 04 00 00 00 00 00 00 00 (4)"), "four IPv4 frames counted");
        Assert.That(native.Out, Does.Contain("  06 08 (2054) => 02 00 00 00 00 00 00 00 (2)"), "two ARP frames counted");
        Assert.That(native.Out, Does.Contain("  dd 86 (34525) => 01 00 00 00 00 00 00 00 (1)"), "one IPv6 frame counted");
    }

    [Test]
    public void AMissingPacketFileIsAnErrorMessageAndExitCodeOne()
    {
        var native = Run(_executable, [Path.Combine(_output!.Path, "no-such-packet.hex")], TimeSpan.FromSeconds(30));
        Assert.That(native.ExitCode, Is.EqualTo(1));
        Assert.That(native.Error, Does.StartWith("AotHost: ").And.Contain("no-such-packet.hex"));
        Assert.That(native.Out, Is.Empty);
    }

    /// <summary>Each run of consecutive map entry lines (indented) sorted; other lines as they are.</summary>
    private static string WithSortedEntries(string output)
    {
        var lines = output.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var result = new List<string>();
        var entries = new List<string>();
        foreach (string line in lines)
        {
            if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                entries.Add(line);
                continue;
            }

            result.AddRange(entries.Order(StringComparer.Ordinal));
            entries.Clear();
            result.Add(line);
        }

        result.AddRange(entries.Order(StringComparer.Ordinal));
        return string.Join('\n', result);
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")))
            return Path.Combine(root, "dotnet");
        return FindOnPath("dotnet") ?? "dotnet";
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static ToolRun Run(string fileName, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);

        // The test host runs under MSBuild's environment (dotnet test); a nested build must not inherit it.
        foreach (string variable in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(variable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s");
        }

        process.WaitForExit();
        return new ToolRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"^.*\bwarning [A-Z]+[0-9]+\b.*$", RegexOptions.Multiline)]
    private static partial Regex Warning();

    [GeneratedRegex(@"^.*\berror NU1[0-9]{3}\b.*ILCompiler.*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex RestoreFailure();
}
