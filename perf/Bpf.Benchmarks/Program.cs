using BenchmarkDotNet.Running;

namespace Bpf.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project perf/Bpf.Benchmarks -- --filter '*'</c>;
/// <c>-- kernel-verifier [OBJECT.o...]</c> compares our verifier with the kernel's instead.
/// </summary>
public static class Program
{
    /// <summary>Entry point; arguments go to BenchmarkDotNet's switcher unless the first is <c>kernel-verifier</c>.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "kernel-verifier")
            return KernelVerifierCommand.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
