using BenchmarkDotNet.Attributes;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Benchmarks;

/// <summary>
/// A loop of 1,000 iterations, each with a 64-bit division, modulo and signed modulo, a 32-bit
/// division and a shift, all by registers, compiled unchecked with and without the verifier's facts
/// (the divisor is the loop counter, proven 1..1000; the shift count is masked to 0..63), against the
/// same loop in C#, which has no guards.
/// </summary>
public class ProvenFactsBenchmarks
{
    private const string Source = """
        mov %r0, 0
        jlt %r2, 8, out
        ldxdw %r3, [%r1+0]
        mov %r6, 1000
        loop:
        mov %r5, %r3
        div %r5, %r6
        add %r0, %r5
        mov %r5, %r3
        mod %r5, %r6
        xor %r0, %r5
        mov %r5, %r3
        div32 %r5, %r6
        add %r0, %r5
        mov %r5, %r3
        smod %r5, %r6
        add %r0, %r5
        mov %r7, %r6
        and %r7, 63
        mov %r5, %r3
        rsh %r5, %r7
        add %r0, %r5
        sub %r6, 1
        jne %r6, 0, loop
        out:
        exit
        """;

    private readonly byte[] _input = BitConverter.GetBytes(0x9E37_79B9_7F4A_7C15UL);
    private BpfExecutable _guarded = null!;
    private BpfExecutable _proven = null!;

    /// <summary>Verifies and compiles the loop both ways, and checks that both compute what C# computes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var code = Assembler.Assemble(Source);
        var verdict = ProgramVerifier.Verify(code);
        if (!verdict.IsAccepted)
            throw new InvalidOperationException(string.Join("; ", verdict.Diagnostics));
        if (verdict.Facts.Count(InstructionFacts.DivisorNonZero) != 4)
            throw new InvalidOperationException("the verifier did not prove the four divisors non-zero");
        var image = new ProgramImage(code);
        var options = ExecutionOptions.Default with { Checked = false };
        _guarded = JitEngine.Instance.Prepare(image, options);
        _proven = JitEngine.Instance.Prepare(image, options with { Facts = verdict.Facts });
        if (Guarded() != CSharp() || Proven() != CSharp())
            throw new InvalidOperationException("the compiled loop does not compute what the C# loop computes");
    }

    /// <summary>The loop in C#: plain operators, no guards.</summary>
    [Benchmark(Baseline = true)]
    public ulong CSharp()
    {
        ulong x = BitConverter.ToUInt64(_input);
        ulong sum = 0;
        for (ulong d = 1000; d != 0; d--)
        {
            sum += x / d;
            sum ^= x % d;
            sum += (uint)x / (uint)d;
            sum += (ulong)((long)x % (long)d);
            sum += x >> (int)(d & 63);
        }

        return sum;
    }

    /// <summary>Compiled unchecked without facts: every division calls its guarded <c>Arithmetic</c> form, shift counts are masked.</summary>
    [Benchmark]
    public ulong Guarded() => _guarded.Run(_input);

    /// <summary>Compiled unchecked with the verifier's facts: plain divisions, unmasked shift.</summary>
    [Benchmark]
    public ulong Proven() => _proven.Run(_input);
}
