using System.Diagnostics;
using System.Globalization;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project perf/Bpf.Benchmarks -- kernel-verifier [OBJECT.o...]</c>: loads
/// every program of the samples and test objects into the kernel (root) and prints, per program,
/// the kernel's verdict, processed-instruction count and self-reported verification time next to
/// ours (processed count and the median of 21 stopwatch runs after at least 40 warm-up runs and a second; BenchmarkDotNet's
/// <see cref="VerifierBenchmarks"/> gives the careful figures).
/// </summary>
internal static class KernelVerifierCommand
{
    private const int Runs = 21;
    private const int WarmUpRuns = 40;
    private const int WarmUpMilliseconds = 1000;

    /// <summary>Runs the comparison; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> objects)
    {
        string? whyNot = KernelVerifierReport.WhyUnavailable();
        if (whyNot is not null)
            Console.WriteLine($"kernel: not measured ({whyNot}); only our figures follow");
        var files = objects.Count > 0 ? objects : VerifierPrograms.Objects();
        Console.WriteLine($"{"program",-44} {"insns",6} | {"ours",8} {"processed",9} {"us",9} {"us/1k",7} | {"kernel",8} {"processed",9} {"us",9} {"us/1k",7}");
        foreach (string file in files)
        {
            using var obj = BpfObject.Load(file);
            var kernelVerdicts = whyNot is null ? KernelVerifierReport.VerifyAll(file) : [];
            foreach (var program in obj.ProgramList)
            {
                var result = VerifierPrograms.Verify(program);
                double ours = MedianMicroseconds(program);
                string name = $"{Path.GetFileNameWithoutExtension(file)}:{program.Name}";
                string kernel = whyNot is not null ? "" : Kernel(kernelVerdicts.FirstOrDefault(v => v.Program == program.Name));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-44} {program.Code.Length,6} | {(result.IsAccepted ? "accepted" : "rejected"),8} {result.InstructionsProcessed,9} {ours,9:F1} {ours * 1000 / Math.Max(1, result.InstructionsProcessed),7:F1} | {kernel}"));
            }
        }

        return 0;
    }

    private static string Kernel(KernelVerdict? verdict)
    {
        if (verdict is null)
            return "(libbpf could not open the object)";
        string perThousand = verdict.Processed > 0 && verdict.Microseconds >= 0 ? (verdict.Microseconds * 1000.0 / verdict.Processed).ToString("F1", CultureInfo.InvariantCulture) : "";
        string line = string.Create(CultureInfo.InvariantCulture, $"{(verdict.Accepted ? "accepted" : "rejected"),8} {verdict.Processed,9} {verdict.Microseconds,9} {perThousand,7}");
        return verdict.Accepted ? line : $"{line}  ({verdict.Reason})";
    }

    private static double MedianMicroseconds(BpfProgram program)
    {
        var times = new double[Runs];

        // Warm up until tiered compilation has had its chance (30 calls and a background
        // recompilation), so that the runs measure optimized code, as the kernel's are.
        var warmUp = Stopwatch.StartNew();
        for (int i = 0; i < WarmUpRuns || warmUp.ElapsedMilliseconds < WarmUpMilliseconds; i++)
            VerifierPrograms.Verify(program);
        for (int i = 0; i < Runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            VerifierPrograms.Verify(program);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(times);
        return times[Runs / 2];
    }
}
