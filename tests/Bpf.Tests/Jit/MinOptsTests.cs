using System.Diagnostics;
using Bpf.Jit.Lowering;
using Bpf.Runtime;
using Bpf.Tests.Cli;

namespace Bpf.Tests.Jit;

/// <summary>
/// No generated method is compiled with MinOpts: a program of more than 10,000 instructions runs
/// in a child process with RyuJIT's compile summary on (<c>DOTNET_JitDisasmSummary=1</c>,
/// <c>DOTNET_JitStdOutFile</c>), and every method of ours must be reported <c>FullOpts</c>. As a
/// control, the same program compiled without splitting must be reported <c>MinOpts</c>, which
/// shows that the summary would catch the cliff.
/// </summary>
public sealed class MinOptsTests
{
    private const int Iterations = 3;

    [TestCase(false)]
    [TestCase(true)]
    public void EveryGeneratedMethodIsFullyOptimized(bool isChecked)
    {
        var program = LargeProgram.CountingLoop(16_000, Iterations);
        Assert.That(program.Length, Is.GreaterThanOrEqualTo(10_000));
        var plan = ProgramPlan.Create(program, ExecutionOptions.Default with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted });
        Assert.That(plan.Methods, Has.Count.GreaterThan(3), "the program must be split for the test to mean something");

        var (output, summary) = RunWithJitSummary(program.ToBytes(), isChecked ? [] : ["--trusted"]);
        var ours = summary.Where(line => line.Contains(":bpf_", StringComparison.Ordinal)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(output, Is.EqualTo((1000 + Iterations).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(ours, Has.Count.EqualTo(plan.Methods.Count), "every planned method is compiled once:\n" + string.Join('\n', ours));
            Assert.That(ours, Has.All.Contains("FullOpts"));
            Assert.That(ours, Has.None.Contains("MinOpts"));
        });
    }

    [Test]
    public void ControlWithoutSplittingTheSummaryReportsMinOpts()
    {
        var program = LargeProgram.CountingLoop(16_000, Iterations);
        var (output, summary) = RunWithJitSummary(program.ToBytes(), ["--trusted", "--no-split"]);
        var main = summary.Where(line => line.Contains(":bpf_main(", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(output, Is.EqualTo((1000 + Iterations).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(main, Has.Count.EqualTo(1));
            Assert.That(main, Has.All.Contains("MinOpts"));
        });
    }

    private static (string Output, string[] Summary) RunWithJitSummary(byte[] bytecode, string[] options)
    {
        using var directory = new TemporaryDirectory();
        string program = directory.Write("large.bin", bytecode);
        string summaryFile = Path.Combine(directory.Path, "jit-summary.txt");
        string dll = Path.Combine(AppContext.BaseDirectory, "bpfjit.dll");
        Assert.That(File.Exists(dll), Is.True, "bpfjit.dll is copied next to the tests by the project reference");

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, "run", program, "--engine", "jit" }.Concat(options))
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_JitStdOutFile"] = summaryFile;
        start.Environment["DOTNET_JitDisasmSummary"] = "1";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(120_000), Is.True, "bpfjit did not finish");
        Assert.That(process.ExitCode, Is.Zero, error.Result);
        Assert.That(File.Exists(summaryFile), Is.True, "RyuJIT wrote no summary");
        return (output.Result.Trim(), File.ReadAllLines(summaryFile));
    }
}
