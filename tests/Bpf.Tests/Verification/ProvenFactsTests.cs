using Bpf.Isa;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The facts the verifier hands the JIT (<see cref="ProvenFacts"/>): each one proven where the
/// program's paths guarantee it, and missing wherever a single path (or a single visit of a loop)
/// could break it. Raw-memory programs: r2 is the input's length, a scalar nothing is known about.
/// </summary>
public class ProvenFactsTests
{
    private static ProvenFacts FactsOf(string source)
    {
        var result = ProgramVerifier.Verify(Assembler.Assemble(source));
        Assert.That(result.Diagnostics, Is.Empty, "the program was rejected");
        return result.Facts;
    }

    [Test]
    public void ADivisorWithAKnownOneBitIsNonZero()
    {
        var facts = FactsOf("mov %r0, 1\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit");
        Assert.That(facts[3], Is.EqualTo(InstructionFacts.DivisorNonZero));
    }

    [Test]
    public void AnUnknownDivisorHasNoFact()
    {
        var facts = FactsOf("mov %r0, 1\ndiv %r0, %r2\nmod %r0, %r2\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(facts[1], Is.EqualTo(InstructionFacts.None));
            Assert.That(facts[2], Is.EqualTo(InstructionFacts.None));
        });
    }

    [Test]
    public void ABranchOnZeroProvesTheOtherSideNonZero()
    {
        var facts = FactsOf("mov %r0, 1\njeq %r2, 0, +1\nmod %r0, %r2\nexit");
        Assert.That(facts.Holds(2, InstructionFacts.DivisorNonZero), Is.True);
    }

    [Test]
    public void A64BitDivisorThatIsNonZeroMayStillHaveAZeroLowHalf()
    {
        // r3 = 1 << 32: never 0, but div32 reads its low half, which is 0.
        var facts = FactsOf("mov %r0, 1\nlddw %r3, 0x100000000\ndiv %r0, %r3\ndiv32 %r0, %r3\nexit");
        Assert.Multiple(() =>
        {
            Assert.That(facts.Holds(3, InstructionFacts.DivisorNonZero), Is.True, "div");
            Assert.That(facts[4], Is.EqualTo(InstructionFacts.None), "div32");
        });
    }

    [Test]
    public void A32BitBranchProvesA32BitDivisor()
    {
        var facts = FactsOf("mov %r0, 1\njeq32 %r2, 0, +1\ndiv32 %r0, %r2\nexit");
        Assert.That(facts.Holds(2, InstructionFacts.DivisorNonZero), Is.True);
    }

    /// <summary>One path brings 7, the other a value that may be 0: the join keeps nothing.</summary>
    [Test]
    public void AFactOnlySomePathsProveIsNotKept()
    {
        var facts = FactsOf("mov %r0, 1000\nmov %r3, 7\njgt %r2, 10, +1\nmov %r3, %r2\ndiv %r0, %r3\nexit");
        Assert.That(facts[4], Is.EqualTo(InstructionFacts.None));
    }

    /// <summary>The first three visits divide by 3, 2, 1; the fourth by 0.</summary>
    [Test]
    public void AFactTheFirstVisitsOfALoopProveButALaterOneBreaksIsNotKept()
    {
        var facts = FactsOf("mov %r0, 1000\nmov %r3, 3\nloop:\ndiv %r0, %r3\nsub %r3, 1\njsge %r3, 0, loop\nexit");
        Assert.That(facts[2], Is.EqualTo(InstructionFacts.None));
    }

    /// <summary>
    /// The path that falls through reaches the join first with r4 anything 32-bit; the other comes
    /// with r4 above 5, is covered and pruned. The fact proven on the explored state holds for both.
    /// </summary>
    [Test]
    public void APrunedPathKeepsTheFactsOfTheStateThatCoversIt()
    {
        // The fall-through side is long enough (8 instructions and 2 jumps since the state kept at
        // the branch) for the verifier to keep its state at the join; the taken side then arrives
        // differing only in the dead r5 and is pruned.
        const string source = "mov %r0, 1000\nmov32 %r4, %r2\nor %r4, 1\njgt %r2, 5, join\nmov %r5, 1\n"
            + "mov %r5, 2\nmov %r5, 2\nmov %r5, 2\nmov %r5, 2\nmov %r5, 2\nmov %r5, 2\nmov %r5, 2\nmov %r5, 2\n"
            + "ja join\njoin:\ndiv %r0, %r4\nexit";
        var code = Assembler.Assemble(source);
        var result = ProgramVerifier.Verify(code);
        Assert.Multiple(() =>
        {
            Assert.That(result.IsAccepted, Is.True);
            Assert.That(result.StatesPruned, Is.GreaterThan(0), "the taken branch was pruned at the join");
            Assert.That(result.Facts.Holds(code.Length - 2, InstructionFacts.DivisorNonZero), Is.True);
        });
    }

    /// <summary>
    /// The two sides of a branch meet before a division, one with a divisor that cannot be 0 and one
    /// with 0, nothing else different. Whichever side the verifier explores first, the other must not
    /// be pruned as covered (pruning that ignored the divisor's value, as Linux does for scalars not
    /// marked precise, would make the fact wrong), so the fact is not kept. Both branch senses, so that
    /// one of them has the non-zero side explored first.
    /// </summary>
    [TestCase("jeq")]
    [TestCase("jne")]
    public void APathWithAZeroDivisorArrivingAfterANonZeroOneIsNotPrunedAway(string branch)
    {
        string source = branch == "jeq"
            ? "mov %r0, 1000\nmov %r3, %r2\njeq %r2, 0, join\nor %r3, 1\njoin:\ndiv %r0, %r3\nexit"
            : "mov %r0, 1000\nmov %r3, %r2\njne %r2, 0, nonzero\nja join\nnonzero:\nor %r3, 1\njoin:\ndiv %r0, %r3\nexit";
        var code = Assembler.Assemble(source);
        var facts = FactsOf(source);
        Assert.That(facts[code.Length - 2], Is.EqualTo(InstructionFacts.None));
    }

    /// <summary>
    /// Like the test above, but the divisor decides nothing and the branch's register is dead at the
    /// join, and the result of the division is never used: a verifier that prunes by liveness and by
    /// precision (imprecise scalars cover any scalar, as in Linux) would cut the second path short unless
    /// it marks divisors and shift counts precise. The facts are only sound if it does.
    /// </summary>
    [TestCase("mov %r3, 5\njeq %r2, 0, join\nmov %r3, 0")]
    [TestCase("mov %r3, 0\njeq %r2, 0, join\nmov %r3, 5")]
    public void ADivisorThatDecidesNothingElseStillKeepsPathsApart(string paths)
    {
        string source = $"mov %r4, 1000\n{paths}\njoin:\ndiv %r4, %r3\nmov %r0, 0\nexit";
        var facts = FactsOf(source);
        Assert.That(facts[4], Is.EqualTo(InstructionFacts.None));
    }

    [Test]
    public void SignedDivisionByAPositiveRangeCannotOverflow()
    {
        var facts = FactsOf("mov %r0, 1\nmov %r3, %r2\nand %r3, 255\nadd %r3, 1\nsdiv %r0, %r3\nexit");
        Assert.That(facts[4], Is.EqualTo(InstructionFacts.DivisorNonZero | InstructionFacts.NoSignedOverflow));
    }

    [Test]
    public void SignedDivisionOfAKnownDividendCannotOverflowEvenByMinusOne()
    {
        // r3 = r2 | 1 may be -1, but 100 is not INT64_MIN.
        var facts = FactsOf("mov %r0, 100\nmov %r3, %r2\nor %r3, 1\nsmod %r0, %r3\nexit");
        Assert.That(facts[3], Is.EqualTo(InstructionFacts.DivisorNonZero | InstructionFacts.NoSignedOverflow));
    }

    [Test]
    public void SignedDivisionOfIntMinByAPossibleMinusOneMayOverflow()
    {
        var facts = FactsOf("lddw %r0, 0x8000000000000000\nmov %r3, %r2\nor %r3, 1\nsdiv %r0, %r3\nexit");
        Assert.That(facts[4], Is.EqualTo(InstructionFacts.DivisorNonZero));
    }

    [Test]
    public void Signed32BitOverflowIsJudgedOnTheLowHalves()
    {
        // The dividend's low half is INT32_MIN and r3's low half may be -1 (r3 = r2 | 1).
        var facts = FactsOf("mov %r0, 1\nlsh %r0, 31\nmov %r3, %r2\nor %r3, 1\nsdiv32 %r0, %r3\nexit");
        Assert.That(facts[4], Is.EqualTo(InstructionFacts.DivisorNonZero));
    }

    [TestCase("and %r3, 63\nlsh %r0, %r3", true)]
    [TestCase("and %r3, 127\nlsh %r0, %r3", false)]
    [TestCase("and %r3, 31\nrsh32 %r0, %r3", true)]
    [TestCase("and %r3, 63\narsh32 %r0, %r3", false)]
    [TestCase("jgt %r3, 63, +0\nmov %r3, %r3\narsh %r0, %r3", false)]
    [TestCase("mov %r0, 0\njgt %r3, 63, +1\narsh %r0, %r3", true)]
    public void AShiftCountBelowTheWidthIsProven(string shift, bool inRange)
    {
        var facts = FactsOf($"mov %r0, 1\nmov %r3, %r2\n{shift}\nexit");
        int pc = Assembler.Assemble($"mov %r0, 1\nmov %r3, %r2\n{shift}\nexit").Length - 2;
        Assert.That(facts.Holds(pc, InstructionFacts.ShiftCountInRange), Is.EqualTo(inRange));
    }

    [Test]
    public void ARejectedProgramHasNoFacts()
    {
        var result = ProgramVerifier.Verify(Assembler.Assemble("mov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit"));
        Assert.Multiple(() =>
        {
            Assert.That(result.IsAccepted, Is.False, "r0 is read before it is written");
            Assert.That(result.Facts, Is.SameAs(ProvenFacts.None));
            Assert.That(result.Facts.Holds(2, InstructionFacts.DivisorNonZero), Is.False);
        });
    }

    [Test]
    public void FactsBelongToTheCodeTheyWereProvenFor()
    {
        const string source = "mov %r0, 1\nmov %r3, %r2\nor %r3, 1\ndiv %r0, %r3\nexit";
        var code = Assembler.Assemble(source);
        var facts = ProgramVerifier.Verify(code).Facts;
        Assert.Multiple(() =>
        {
            Assert.That(facts.AreFor(code), Is.True);
            Assert.That(facts.AreFor(Assembler.Assemble(source)), Is.False, "the same text assembled again is other code");
            Assert.That(facts.Count(InstructionFacts.DivisorNonZero), Is.EqualTo(1));
        });
    }
}
