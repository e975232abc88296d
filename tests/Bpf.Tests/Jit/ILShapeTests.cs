using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;

namespace Bpf.Tests.Jit;

/// <summary>The generated IL has the shape DESIGN.md asks for, read from the text back end.</summary>
public sealed class ILShapeTests
{
    private static string IL(string source, bool isChecked) =>
        JitCompiler.DumpIL(Assembler.Assemble(source), ExecutionOptions.Default with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted });

    [Test]
    public void UncheckedLoadsAndStoresAreUnalignedPointerAccessesWithoutChecks()
    {
        string il = IL("ldxw %r0, [%r1+4]\nstxh [%r1+2], %r0\nexit", isChecked: false);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("unaligned. 1"));
            Assert.That(il, Does.Contain("ldind.u4"));
            Assert.That(il, Does.Contain("stind.i2"));
            Assert.That(il, Does.Not.Contain("Check"));
        });
    }

    [Test]
    public void CheckedLoadsCallTheBoundsCheck()
    {
        string il = IL("ldxw %r0, [%r1+4]\nexit", isChecked: true);
        Assert.That(il, Does.Contain("Invocation::CheckRead"));
    }

    [Test]
    public void FunctionsThatDoNotUseTheStackHaveNoFrame()
    {
        string il = IL("mov %r0, 1\nexit", isChecked: true);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Not.Contain("localloc"));
            Assert.That(il, Does.Not.Contain("EnterFrame"));
        });
    }

    [Test]
    public void UncheckedFramesAreNotZeroed()
    {
        string il = IL("stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit", isChecked: false);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("localloc"));
            Assert.That(il, Does.Not.Contain("initblk"));
        });
    }

    [Test]
    public void CheckedFramesAreZeroedAndRegistered()
    {
        string il = IL("stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit", isChecked: true);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("initblk"));
            Assert.That(il, Does.Contain("Invocation::EnterFrame"));
            Assert.That(il, Does.Contain("Invocation::LeaveFrame"));
        });
    }

    [Test]
    public void DivisionByAnImmediateIsAPlainDivide()
    {
        string il = IL("mov %r0, 100\ndiv %r0, 7\nexit", isChecked: false);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("div.un"));
            Assert.That(il, Does.Not.Contain("Arithmetic::"));
        });
    }

    [Test]
    public void DivisionByARegisterGuardsZero() =>
        Assert.That(IL("mov %r0, 100\nmov %r1, 7\ndiv %r0, %r1\nexit", isChecked: false), Does.Contain("Arithmetic::Div64"));

    [Test]
    public void LocalCallIsADirectCallToTheCalleesMethod()
    {
        string il = IL("call local f\nexit\nf:\nmov %r0, 1\nexit", isChecked: false);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain(".method static uint64 bpf_main("));
            Assert.That(il, Does.Contain(".method static uint64 bpf_f("));
            Assert.That(il, Does.Contain("call bpf_f"));
        });
    }

    [Test]
    public void StaticHelperIsCalledDirectly() =>
        Assert.That(IL("call 5\nexit", isChecked: false), Does.Contain("TimeHelpers::KtimeGetNs"));

    /// <summary>
    /// Atomics whose result is discarded are inline <c>Interlocked</c> calls; those whose old value
    /// is kept call the out-of-line <c>FetchingAtomics</c>, because RyuJIT loses the zero extension
    /// of an inlined <c>lock xadd</c> or <c>cmpxchg</c> result (see FetchingAtomics).
    /// </summary>
    [Test]
    public void AtomicsUseInterlockedAndKeptOldValuesComeFromOutOfLineHelpers()
    {
        string il = IL("mov %r1, 1\nlock add [%r10-8], %r1\nlock fetch add [%r10-8], %r1\nlock cmpxchg32 [%r10-8], %r1\nmov %r0, 0\nexit", isChecked: false);
        Assert.Multiple(() =>
        {
            Assert.That(il, Does.Contain("Interlocked::Add(int64&, int64)"));
            Assert.That(il, Does.Contain("FetchingAtomics::Add64(native int, uint64)"));
            Assert.That(il, Does.Contain("FetchingAtomics::CompareExchange32(native int, uint64, uint64)"));
            Assert.That(il, Does.Not.Contain("Interlocked::CompareExchange"));
        });
    }
}
