using System.Buffers.Binary;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Aot;
using Bpf.Jit;
using Bpf.Runtime;
using static Bpf.Tests.Differential.InstructionRows;

namespace Bpf.Tests.Differential;

/// <summary>
/// Programs on which the differential tests once found the engines disagreeing, shrunk and
/// checked against results worked out by hand from RFC 9669, on every engine.
/// </summary>
[TestFixture]
public sealed class RegressionTests
{
    private static readonly IBpfEngine[] s_engines = [InterpreterEngine.Instance, JitEngine.Instance, AotEngine.Instance];

    private static readonly OpcodeInfo CmpXchg32 = Atomics.Single(r => r.Operation == Operation.AtomicCmpXchg && r.AccessSize == 4);
    private static readonly OpcodeInfo FetchAdd64 = Atomics.Single(r => r.Operation == Operation.AtomicAdd && r.Fetch && r.AccessSize == 8);
    private static readonly OpcodeInfo Xchg64 = Atomics.Single(r => r.Operation == Operation.AtomicXchg && r.AccessSize == 8);
    private static readonly OpcodeInfo Arsh32Imm = Arithmetic.Single(r => r.Operation == Operation.Arsh && !r.Is64 && !r.UsesSourceRegister);
    private static readonly OpcodeInfo Smod64Reg = Arithmetic.Single(r => r.Operation == Operation.SMod && r.Is64 && r.UsesSourceRegister);
    private static readonly OpcodeInfo Smod32Reg = Arithmetic.Single(r => r.Operation == Operation.SMod && !r.Is64 && r.UsesSourceRegister);
    private static readonly OpcodeInfo Div32Reg = Arithmetic.Single(r => r.Operation == Operation.Div && !r.Is64 && r.UsesSourceRegister);
    private static readonly OpcodeInfo Div64Reg = Arithmetic.Single(r => r.Operation == Operation.Div && r.Is64 && r.UsesSourceRegister);

    /// <summary>
    /// Seed 3160: a 32-bit compare-exchange compares and returns the low 32 bits only, so r0's
    /// upper half must not survive it, whether or not the exchange happens. The JIT's inlined
    /// <c>Interlocked.CompareExchange</c> let RyuJIT hand back the 64-bit comparand on success
    /// (a successful <c>cmpxchg</c> does not write EAX, and RyuJIT dropped the zero extension).
    /// </summary>
    [Test]
    public void CompareExchange32ZeroExtendsTheOldValueEvenWithJunkInR0()
    {
        Instruction[] program =
        [
            Encode(Mov64Reg, 9, 1),
            Encode(Mov32Imm, 8, immediate: 5),
            Encode(Load(4), 0, 9, offset: 28),                           // r0 = the word at 28
            .. Wide(1, 0x65A8_EF57_0000_0000UL),
            Encode(Or64Reg, 0, 1),                                         // junk in r0's upper half
            Encode(CmpXchg32, 9, 6, offset: 28),                           // low halves equal: word = r6 (0), r0 = old
            Encode(Add32Imm, 8, immediate: -1),
            Encode(Condition(Operation.Jeq, is64: false, register: false), 8, immediate: 0, offset: 1),
            Encode(Ja32, immediate: -8),
            Encode(Or64Reg, 2, 1),
            Encode(Smod64Reg, 0, 2),
            Encode(Exit),
        ];
        var input = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(28), 0xC8B6_C6E0);

        // First pass: the word matches, becomes 0, r0 = 0xc8b6c6e0. Later passes: the word (0)
        // matches r0's low half, r0 = 0. Then 0 smod anything = 0.
        var expected = input.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(28), 0);
        AssertEveryEngine(program, input, 0UL, expected);
    }

    /// <summary>
    /// Seed 54153: <c>arsh32 r0, 0</c> is a 32-bit operation and zero-extends its result. After a
    /// 64-bit fetch-add into r0 the JIT kept r0's upper half: RyuJIT removed the zero extension as
    /// redundant, trusting the 32-bit move that had set r0 before <c>lock xadd</c> overwrote it.
    /// </summary>
    [Test]
    public void ThirtyTwoBitOperationAfterSixtyFourBitFetchAddZeroExtends()
    {
        Instruction[] program =
        [
            Encode(Mov64Reg, 9, 1),
            Encode(Mov64Imm, 0, immediate: 1024),
            Encode(FetchAdd64, 9, 0, offset: 16),                          // r0 = old word, word += 1024
            Encode(Arsh32Imm, 0, immediate: 0),                            // r0 = (u32)r0
            Encode(Exit),
        ];
        var input = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(16), 0xDAD5_B8BA_4B7C_09F6UL);
        var expected = input.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(16), 0xDAD5_B8BA_4B7C_0DF6UL);
        AssertEveryEngine(program, input, 0x4B7C_09F6UL, expected);
    }

    /// <summary>
    /// The same shape through <c>xchg</c>: <c>arsh32 r0, 0</c> after a 64-bit exchange into r0. RyuJIT kept
    /// this extension, but exchanges now take the same out-of-line path as the fetching atomics.
    /// </summary>
    [Test]
    public void ThirtyTwoBitOperationAfterSixtyFourBitExchangeZeroExtends()
    {
        Instruction[] program =
        [
            Encode(Mov64Reg, 9, 1),
            Encode(Mov64Imm, 0, immediate: 1024),
            Encode(Xchg64, 9, 0, offset: 8),                               // r0 = old word, word = 1024
            Encode(Arsh32Imm, 0, immediate: 0),                            // r0 = (u32)r0
            Encode(Exit),
        ];
        var input = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(8), 0x8000_0001_FFFF_FFFEUL);
        var expected = input.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(8), 1024);
        AssertEveryEngine(program, input, 0xFFFF_FFFEUL, expected);
    }

    /// <summary>
    /// Seed 6408: <c>smod32 r7, r0</c> reads r0's low half and must leave r0 alone. The JIT
    /// returned r0 without its upper half: with the 32-bit modulo inlined, RyuJIT moved the
    /// divisor's low half out of the way of <c>idiv</c> with a 32-bit <c>mov</c> and later took that
    /// register for all of r0.
    /// </summary>
    [Test]
    public void ThirtyTwoBitModuloLeavesTheDivisorRegisterWhole()
    {
        Instruction[] program =
        [
            Encode(Mov64Reg, 9, 1),
            .. Wide(0, 0xC915_242D_95CE_C469UL),
            Encode(StoreImmediate(1), 9, offset: 35, immediate: unchecked((int)0x8000_8000)),  // [35] = 0x00
            Encode(Smod32Reg, 7, 0),                                       // r7 = 0 smod32 0x95cec469 = 0
            Encode(Mov32Reg, 4, 2),                                        // r4 = 64
            Encode(Condition(Operation.Jsle, is64: true, register: true), 2, 4, offset: 3),  // 64 <= 64: to exit
            Encode(Smod32Reg, 0, 7),
            Encode(StoreImmediate(8), 10, offset: -12, immediate: 2),
            Encode(Ja, offset: -7),
            Encode(Exit),
        ];
        var input = Enumerable.Repeat((byte)0xFF, 64).ToArray();
        var expected = input.ToArray();
        expected[35] = 0;
        AssertEveryEngine(program, input, 0xC915_242D_95CE_C469UL, expected);
    }

    /// <summary>
    /// Seeds 3557 and 6007 of the arithmetic-dense programs: the same miscompilation through
    /// <c>div32</c>, whose divisor register is used whole afterwards. Their shrunk programs need the
    /// helpers and many instructions; this one has the shape of seed 6408, which with unsigned
    /// division does not make RyuJIT 10.0.12 go wrong, and guards the same path.
    /// </summary>
    [Test]
    public void ThirtyTwoBitDivisionLeavesTheDivisorRegisterWhole()
    {
        Instruction[] program =
        [
            Encode(Mov64Reg, 9, 1),
            .. Wide(0, 0xC915_242D_95CE_C469UL),
            Encode(StoreImmediate(1), 9, offset: 35, immediate: unchecked((int)0x8000_8000)),  // [35] = 0x00
            Encode(Div32Reg, 7, 0),                                        // r7 = 0 / 0x95cec469 = 0
            Encode(Mov32Reg, 4, 2),                                        // r4 = 64
            Encode(Condition(Operation.Jsle, is64: true, register: true), 2, 4, offset: 3),  // 64 <= 64: to exit
            Encode(Div32Reg, 0, 7),
            Encode(StoreImmediate(8), 10, offset: -12, immediate: 2),
            Encode(Ja, offset: -7),
            Encode(Exit),
        ];
        var input = Enumerable.Repeat((byte)0xFF, 64).ToArray();
        var expected = input.ToArray();
        expected[35] = 0;
        AssertEveryEngine(program, input, 0xC915_242D_95CE_C469UL, expected);
    }

    private static Instruction[] Wide(int dst, ulong value) =>
        [Encode(LoadImm64, dst, immediate: (int)(uint)value), new Instruction(0, immediate: (int)(uint)(value >> 32))];

    private static void AssertEveryEngine(Instruction[] program, byte[] input, ulong r0, byte[] memory)
    {
        var bytecode = Bytecode.Create(program);
        foreach (bool isChecked in new[] { true, false })
        {
            foreach (var engine in s_engines)
            {
                var outcome = DifferentialRunner.Run(engine, bytecode, input, new ExecutionOptions { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted });
                Assert.That(outcome.Summary, Is.EqualTo(Outcome.Returned(r0, memory).Summary), $"{engine.Name}, checked {isChecked}");
                Assert.That(outcome.Memory, Is.EqualTo(memory), $"{engine.Name}, checked {isChecked}: memory");
            }
        }
    }
}
