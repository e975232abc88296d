using Bpf.Runtime;
using Bpf.Tests.Kernel;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The memory rules on programs built from C (<c>tests/Bpf.Tests/Elf/Objects/verifier_rules.c</c>):
/// helpers' keys at variable stack offsets, atomic alignment, context fields per program type, and
/// what only the strict policy refuses (a key with unwritten padding, a pointer stored in a map),
/// and array lookups with a constant key inside the array, which cannot fail (Linux 6.14+).
/// Each program gets the verdicts written here under both policies, with the diagnostic on the line
/// marked <c>UNSAFE</c>, and the kernel (loading as root) must agree with the privileged policy.
/// </summary>
public class VerifierRuleObjectTests
{
    private const string Source = "verifier_rules";

    private static VerificationResult Verify(BpfProgram program, VerifierPolicy policy) =>
        ProgramVerifier.Verify(program.Code, VerifierOptions.For(program) with { Policy = policy });

    [TestCase("variable_key", null, null)]
    [TestCase("variable_key_past_frame", DiagnosticCode.OutOfBounds, DiagnosticCode.OutOfBounds)]
    [TestCase("variable_store", null, null)]
    [TestCase("aligned_atomic", null, null)]
    [TestCase("misaligned_atomic", DiagnosticCode.Misaligned, DiagnosticCode.Misaligned)]
    [TestCase("tc_write_mark", null, null)]
    [TestCase("tc_write_len", DiagnosticCode.InvalidContextAccess, DiagnosticCode.InvalidContextAccess)]
    [TestCase("socket_narrow_load", null, null)]
    [TestCase("xdp_narrow_load", DiagnosticCode.InvalidContextAccess, DiagnosticCode.InvalidContextAccess)]
    [TestCase("padded_key", DiagnosticCode.UninitializedStack, null)]
    [TestCase("pointer_into_map", DiagnosticCode.PointerLeak, null)]
    [TestCase("const_key_array", null, null)]
    [TestCase("const_key_zero", null, null)]
    [TestCase("const_key_past_end", DiagnosticCode.PossiblyNull, DiagnosticCode.PossiblyNull)]
    [TestCase("const_key_unaligned", DiagnosticCode.PossiblyNull, DiagnosticCode.PossiblyNull)]
    [TestCase("variable_key_array", DiagnosticCode.PossiblyNull, DiagnosticCode.PossiblyNull)]
    [TestCase("const_key_hash", DiagnosticCode.PossiblyNull, DiagnosticCode.PossiblyNull)]
    public void VerdictsNameTheSourceLine(string name, DiagnosticCode? strict, DiagnosticCode? privileged)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject(Source));
        foreach (var (policy, expected) in new[] { (VerifierPolicy.Strict, strict), (VerifierPolicy.Privileged, privileged) })
        {
            var result = Verify(obj.Programs[name], policy);
            if (expected is null)
            {
                Assert.That(result.Diagnostics, Is.Empty, $"{policy}");
                continue;
            }

            var diagnostic = result.Diagnostics.Single();
            Assert.That(diagnostic.Code, Is.EqualTo(expected), $"{policy}: {diagnostic}");
            Assert.That(diagnostic.ToString(), Does.Contain($"{Source}.c:{UnsafeLineOf(name)}:"), $"{policy}: {diagnostic}");
        }
    }

    [TestCase("variable_key")]
    [TestCase("variable_key_past_frame")]
    [TestCase("variable_store")]
    [TestCase("aligned_atomic")]
    [TestCase("misaligned_atomic")]
    [TestCase("tc_write_mark")]
    [TestCase("tc_write_len")]
    [TestCase("socket_narrow_load")]
    [TestCase("xdp_narrow_load")]
    [TestCase("padded_key")]
    [TestCase("pointer_into_map")]
    [TestCase("const_key_array")]
    [TestCase("const_key_zero")]
    [TestCase("const_key_past_end")]
    [TestCase("const_key_unaligned")]
    [TestCase("variable_key_array")]
    [TestCase("const_key_hash")]
    public void VerdictsAgreeWithTheKernel(string name)
    {
        string path = RepositoryFiles.TestObject(Source);
        var kernel = KernelObject.Accepts(path, name, out string whyNot) ?? throw new IgnoreException(whyNot);
        using var obj = BpfObject.Load(path);
        var result = Verify(obj.Programs[name], VerifierPolicy.Privileged);
        Assert.That(result.IsAccepted, Is.EqualTo(kernel), $"the kernel {(kernel ? "accepts" : "rejects")} it; we say {result.Diagnostics.FirstOrDefault()?.ToString() ?? "accepted"}");
    }

    private static int UnsafeLineOf(string program)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryFiles.TestObjects, Source + ".c"));
        int start = Array.FindIndex(lines, l => l.Contains($" {program}(", StringComparison.Ordinal));
        return Array.FindIndex(lines, start, l => l.Contains("UNSAFE", StringComparison.Ordinal)) + 1;
    }
}
