using BenchmarkDotNet.Attributes;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Benchmarks;

/// <summary>
/// Our verifier on the largest test program (<c>verifier_large.c</c>) and on each sample: the time
/// of one verification. Divide by the processed-instruction count (printed by the
/// <c>kernel-verifier</c> mode next to the kernel's own figures) for the time per 1,000 processed
/// instructions, or by the program's length for the time per 1,000 program instructions.
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    private BpfObject _object = null!;
    private BpfProgram _program = null!;

    /// <summary>The program: object file and program name.</summary>
    [Params("verifier_large:large_parser", "xdp_counter:count_packets", "config:filter_by_config", "lpm_router:route_ipv4",
        "ringbuf_events:report_packets", "tail_calls:dispatch", "loops:sum_of_squares_with_iterator")]
    public string Program { get; set; } = "";

    /// <summary>Loads the object.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Program.Split(':');
        string file = VerifierPrograms.Objects().First(o => Path.GetFileNameWithoutExtension(o) == parts[0]);
        _object = BpfObject.Load(file);
        _program = _object.Programs[parts[1]];
    }

    /// <summary>Frees the object's maps.</summary>
    [GlobalCleanup]
    public void Cleanup() => _object.Dispose();

    /// <summary>One verification of the program.</summary>
    [Benchmark]
    public VerificationResult Verify() => VerifierPrograms.Verify(_program);
}
