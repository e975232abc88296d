using BenchmarkDotNet.Running;

namespace Bpf.Benchmarks;

/// <summary>Runs the benchmarks the command line selects (BenchmarkDotNet's switcher).</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
