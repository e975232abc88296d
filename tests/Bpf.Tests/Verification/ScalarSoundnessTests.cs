using Bpf.Isa;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The verifier's scalar domain is sound: for random abstract values built from random concrete
/// values, every concrete result of every ALU operation lies in the abstract result, and every
/// concrete comparison outcome is allowed by the abstract one, with both operands inside the
/// refined operands of the side it took. An unsound verifier accepts unsafe programs, so these
/// tests are the domain's safety net.
/// </summary>
public sealed class ScalarSoundnessTests
{
    private const int Rounds = 600;
    private const int Samples = 6;

    private static readonly OpcodeInfo[] s_arithmetic = OpcodeTable.All
        .Where(r => r.Class is OpcodeClass.Alu or OpcodeClass.Alu64 && r.Operation <= Operation.Arsh)
        .ToArray();

    private static readonly OpcodeInfo[] s_comparisons = OpcodeTable.All.Where(r => r.IsConditionalJump && r.UsesSourceRegister).ToArray();

    /// <summary>Values a program meets: small, near every boundary, and random.</summary>
    private static ulong Interesting(Random random) => random.Next(10) switch
    {
        0 => (ulong)random.Next(0, 16),
        1 => (ulong)(long)random.Next(-16, 0),
        2 => 0x8000_0000UL + (ulong)random.Next(-4, 4),
        3 => 0xFFFF_FFFFUL - (ulong)random.Next(0, 4),
        4 => 0x8000_0000_0000_0000UL + (ulong)random.Next(-4, 4),
        5 => (ulong)random.NextInt64(0, 1 << 20),
        6 => (uint)random.Next(),
        7 => ((ulong)(uint)random.Next(0, 4) << 32) | (uint)random.Next(),
        _ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40),
    };

    /// <summary>An abstract value: the join of a few concrete ones (the sample), so the sample lies in it.</summary>
    private static (Scalar Value, ulong[] Members) RandomScalar(Random random)
    {
        int count = random.Next(1, Samples + 1);
        var members = new ulong[count];
        ulong basis = Interesting(random);
        for (int i = 0; i < count; i++)
            members[i] = random.Next(3) == 0 ? basis + (ulong)random.Next(0, 64) : Interesting(random);
        var value = members.Select(Scalar.Constant).Aggregate((a, b) => a.Union(b)).Normalize();
        return (value, members);
    }

    [Test]
    public void JoinedConstantsContainEachOfThem()
    {
        var random = new Random(1);
        for (int round = 0; round < Rounds * 4; round++)
        {
            var (value, members) = RandomScalar(random);
            foreach (ulong member in members)
                Assert.That(value.Contains(member), Is.True, $"{value} must contain 0x{member:x}");
        }
    }

    [Test]
    public void EveryArithmeticOperationIsSound()
    {
        var random = new Random(2);
        for (int round = 0; round < Rounds; round++)
        {
            var (a, aMembers) = RandomScalar(random);
            var (b, bMembers) = RandomScalar(random);
            foreach (var info in s_arithmetic)
            {
                // An immediate operand is a constant: the immediate sign-extended (64) or as is (32).
                var operand = info.UsesSourceRegister ? b : Scalar.Constant(info.Is64 ? bMembers[0] : (uint)bMembers[0]);
                var operandMembers = info.UsesSourceRegister ? bMembers : [operand.ConstantValue];
                var result = ScalarArithmetic.Apply(info, a, operand);
                foreach (ulong x in aMembers)
                {
                    foreach (ulong y in operandMembers)
                    {
                        ulong concrete = AluSemantics.Evaluate(info, x, y);
                        if (!result.Contains(concrete))
                        {
                            Assert.Fail($"{info.Mnemonic}: 0x{x:x} op 0x{y:x} = 0x{concrete:x} is not in {result}\n  dst {a}\n  src {operand}");
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void EveryComparisonIsSound()
    {
        var random = new Random(3);
        for (int round = 0; round < Rounds; round++)
        {
            var (a, aMembers) = RandomScalar(random);
            var (b, bMembers) = RandomScalar(random);
            foreach (var info in s_comparisons)
            {
                bool? verdict = ScalarComparisons.IsTaken(info, a, b);
                var taken = ScalarComparisons.Refine(info, a, b, taken: true);
                var fallThrough = ScalarComparisons.Refine(info, a, b, taken: false);
                foreach (ulong x in aMembers)
                {
                    foreach (ulong y in bMembers)
                    {
                        bool concrete = AluSemantics.IsTaken(info, x, y);
                        if (verdict is { } known && known != concrete)
                            Assert.Fail($"{info.Mnemonic}: said {(known ? "always" : "never")} taken, but 0x{x:x}, 0x{y:x} {(concrete ? "takes" : "does not take")} it\n  dst {a}\n  src {b}");
                        var (dst, src) = concrete ? taken : fallThrough;
                        if (!dst.Contains(x) || !src.Contains(y))
                        {
                            Assert.Fail($"{info.Mnemonic} {(concrete ? "taken" : "not taken")} with 0x{x:x}, 0x{y:x}: refined to {dst} and {src}\n  dst {a}\n  src {b}");
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void TruncationAndSignExtensionAreSound()
    {
        var random = new Random(4);
        for (int round = 0; round < Rounds * 2; round++)
        {
            var (a, members) = RandomScalar(random);
            foreach (int bytes in new[] { 1, 2, 4 })
            {
                var truncated = a.Truncate(bytes);
                var extended = a.SignExtend(bytes * 8);
                foreach (ulong x in members)
                {
                    ulong low = x & ((1UL << (bytes * 8)) - 1);
                    ulong signExtended = bytes switch { 1 => (ulong)(sbyte)x, 2 => (ulong)(short)x, _ => (ulong)(int)x };
                    Assert.That(truncated.Contains(low), Is.True, $"truncate {bytes}: 0x{low:x} not in {truncated} from {a}");
                    Assert.That(extended.Contains(signExtended), Is.True, $"sign-extend {bytes * 8}: 0x{signExtended:x} not in {extended} from {a}");
                }
            }
        }
    }

    [Test]
    public void KnowledgeIsKept()
    {
        // Soundness alone allows "unknown" everywhere; these show the domain keeps what a verifier needs.
        var info = OpcodeTable.WithMnemonic("and").ToArray().First(r => !r.UsesSourceRegister);
        var masked = ScalarArithmetic.Apply(info, Scalar.Unknown, Scalar.Constant(0xff));
        var shifted = ScalarArithmetic.Apply(OpcodeTable.WithMnemonic("lsh").ToArray().First(r => !r.UsesSourceRegister), masked, Scalar.Constant(3));
        var jlt = OpcodeTable.WithMnemonic("jlt").ToArray().First(r => r.UsesSourceRegister);
        var (bounded, _) = ScalarComparisons.Refine(jlt, Scalar.Unknown, Scalar.Constant(100), taken: true);
        Assert.Multiple(() =>
        {
            Assert.That((masked.UMin, masked.UMax), Is.EqualTo((0UL, 255UL)));
            Assert.That((shifted.UMin, shifted.UMax), Is.EqualTo((0UL, 255UL * 8)));
            Assert.That(shifted.Bits.Mask & 7, Is.Zero, "the low three bits are known zero after a shift by 3");
            Assert.That((bounded.UMin, bounded.UMax), Is.EqualTo((0UL, 99UL)));
            Assert.That(bounded.SMin, Is.Zero, "an unsigned bound below 2^63 makes the value non-negative");
            Assert.That(ScalarComparisons.IsTaken(jlt, bounded, Scalar.Constant(100)), Is.True);
        });
    }
}
