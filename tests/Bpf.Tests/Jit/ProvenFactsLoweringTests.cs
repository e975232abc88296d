using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Tests.Jit;

/// <summary>
/// The lowering drops the guards the verifier's facts make useless, and only those: read from the
/// text back end's IL. The guarded forms are the <c>Arithmetic</c> calls (x / 0 = 0, INT_MIN / -1)
/// and the shift-count masks.
/// </summary>
public class ProvenFactsLoweringTests
{
    private static readonly ExecutionOptions Unchecked = ExecutionOptions.Default with { Checked = false };

    /// <summary>The IL of <paramref name="source"/> compiled unchecked with what the verifier proved about it.</summary>
    private static string VerifiedIL(string source, ExecutionOptions? options = null)
    {
        var code = Assembler.Assemble(source);
        var result = ProgramVerifier.Verify(code);
        Assert.That(result.Diagnostics, Is.Empty, "the program was rejected");
        return JitCompiler.DumpIL(new ProgramImage(code), (options ?? Unchecked) with { Facts = result.Facts });
    }

    [Test]
    public void ADivisorProvenNonZeroIsAPlainDivide()
    {
        string il = VerifiedIL("mov %r0, 1000\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("div.un"));
            Assert.That(il, Does.Not.Contain("Arithmetic::"));
        });
    }

    [Test]
    public void ADivisorNotProvenKeepsTheGuard()
    {
        string il = VerifiedIL("mov %r0, 1000\nmod %r0, %r2\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("Arithmetic::Mod64"));
            Assert.That(il, Does.Not.Contain("rem.un"));
        });
    }

    [Test]
    public void ADivisorProvenOnOnlySomePathsKeepsTheGuard() =>
        Assert.That(VerifiedIL("mov %r0, 1000\nmov %r3, 7\njgt %r2, 10, +1\nmov %r3, %r2\ndiv %r0, %r3\nexit"), Does.Contain("Arithmetic::Div64"));

    [Test]
    public void ADivisorThatIsZeroOnALaterLoopIterationKeepsTheGuard() =>
        Assert.That(VerifiedIL("mov %r0, 1000\nmov %r3, 3\nloop:\ndiv %r0, %r3\nsub %r3, 1\njsge %r3, 0, loop\nexit"), Does.Contain("Arithmetic::Div64"));

    [Test]
    public void CheckedModeKeepsTheGuardWhateverTheFacts() =>
        Assert.That(VerifiedIL("mov %r0, 1000\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit", ExecutionOptions.Default), Does.Contain("Arithmetic::Div64"));

    [Test]
    public void FactsProvenForOtherCodeAreIgnored()
    {
        const string source = "mov %r0, 1000\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit";
        var facts = ProgramVerifier.Verify(Assembler.Assemble(source)).Facts;
        string il = JitCompiler.DumpIL(new ProgramImage(Assembler.Assemble(source)), Unchecked with { Facts = facts });
        Assert.That(il, Does.Contain("Arithmetic::Div64"));
    }

    [Test]
    public void SignedDivisionNeedsBothFactsAt64Bits()
    {
        string safe = VerifiedIL("mov %r0, 100\nmov %r3, %r2\nor %r3, 1\nsdiv %r0, %r3\nexit");
        string mayOverflow = VerifiedIL("lddw %r0, 0x8000000000000000\nmov %r3, %r2\nor %r3, 1\nsdiv %r0, %r3\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(safe, Does.Not.Contain("Arithmetic::"));
            Assert.That(safe, Does.Contain("div"));
            Assert.That(mayOverflow, Does.Contain("Arithmetic::SDiv64"));
        });
    }

    /// <summary>At 32 bits the operands are widened to 64, where INT32_MIN / -1 cannot overflow: a non-zero divisor is enough.</summary>
    [Test]
    public void ThirtyTwoBitDivisionByAProvenDivisorIsInline()
    {
        string il = VerifiedIL("mov %r0, 1\nlsh %r0, 31\nmov %r3, %r2\nor %r3, 1\nsdiv32 %r0, %r3\ndiv32 %r0, %r3\nmod32 %r0, %r3\nsmod32 %r0, %r3\nexit");
        Assert.That(il, Does.Not.Contain("Arithmetic::"));
    }

    [Test]
    public void ThirtyTwoBitDivisionByADivisorWithAPossiblyZeroLowHalfKeepsTheGuard() =>
        Assert.That(VerifiedIL("mov %r0, 1\nlddw %r3, 0x100000000\ndiv %r0, %r3\ndiv32 %r0, %r3\nexit"), Does.Contain("Arithmetic::Div32"));

    [Test]
    public void AShiftCountProvenBelowTheWidthIsNotMasked()
    {
        string proven = VerifiedIL("mov %r0, 1\nmov %r3, %r2\nand %r3, 63\nlsh %r0, %r3\nexit");
        string unproven = VerifiedIL("mov %r0, 1\nmov %r3, %r2\nand %r3, 127\nlsh %r0, %r3\nexit");
        Assert.Multiple(() =>
        {
            // The program's own "and 63" is on r3 before the shift; the lowering's mask would be a second one.
            Assert.That(Count(proven, "ldc.i4.s 63"), Is.EqualTo(0), proven);
            Assert.That(Count(unproven, "ldc.i4.s 63"), Is.EqualTo(1), unproven);
        });
    }

    [Test]
    public void UnverifiedCompilationHasNoFacts() =>
        Assert.That(JitCompiler.DumpIL(Assembler.Assemble("mov %r0, 1000\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit"), Unchecked), Does.Contain("Arithmetic::Div64"));

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
