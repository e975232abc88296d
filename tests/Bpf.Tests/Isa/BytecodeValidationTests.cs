using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>
/// <see cref="Bytecode.Decode"/> rejects what RFC 9669 calls invalid and what the runtime cannot
/// run safely, naming the instruction. Programs are written as raw bytes, one slot per line.
/// </summary>
[TestFixture]
public sealed class BytecodeValidationTests
{
    private const string Exit = "95 00 00 00 00 00 00 00";
    private const string Mov0 = "b7 00 00 00 00 00 00 00";

    [TestCase("8f 00 00 00 00 00 00 00", TestName = "Unknown opcode 0x8f (neg with the register bit)")]
    [TestCase("ff 00 00 00 00 00 00 00", TestName = "Unknown opcode 0xff")]
    [TestCase("00 00 00 00 00 00 00 00", TestName = "Unknown opcode 0x00 (a 32-bit lddw)")]
    [TestCase("e5 00 00 00 00 00 00 00", TestName = "Unknown opcode 0xe5 (jump code 0xe)")]
    public void UnknownOpcode(string bad) => AssertRejectedAt(1, Mov0, bad, Exit);

    [TestCase("07 00 01 00 01 00 00 00", TestName = "add64 imm with offset 1")]
    [TestCase("07 10 00 00 01 00 00 00", TestName = "add64 imm with source register 1")]
    [TestCase("0f 00 00 00 01 00 00 00", TestName = "add64 reg with immediate 1")]
    [TestCase("0f 00 01 00 00 00 00 00", TestName = "add64 reg with offset 1")]
    [TestCase("04 00 01 00 01 00 00 00", TestName = "add32 imm with offset 1")]
    [TestCase("0c 00 00 00 01 00 00 00", TestName = "add32 reg with immediate 1")]
    [TestCase("b7 00 01 00 01 00 00 00", TestName = "mov64 imm with offset 1")]
    [TestCase("bf 00 00 00 01 00 00 00", TestName = "mov64 reg with immediate 1")]
    [TestCase("bf 00 02 00 00 00 00 00", TestName = "mov64 reg with offset 2 (neither a movsx width nor addr_space_cast)")]
    [TestCase("bf 00 01 00 00 00 00 00", TestName = "addr_space_cast with immediate 0 (no address space pair)")]
    [TestCase("bf 00 01 00 01 00 01 00", TestName = "addr_space_cast with both address spaces set")]
    [TestCase("bc 00 20 00 00 00 00 00", TestName = "mov32 reg with offset 32 (movsx3232 does not exist)")]
    [TestCase("3f 00 02 00 00 00 00 00", TestName = "div64 reg with offset 2 (neither div nor sdiv)")]
    [TestCase("84 00 00 00 01 00 00 00", TestName = "neg32 with immediate 1")]
    [TestCase("87 10 00 00 00 00 00 00", TestName = "neg64 with source register 1")]
    [TestCase("dc 00 01 00 10 00 00 00", TestName = "be16 with offset 1")]
    [TestCase("d4 10 00 00 10 00 00 00", TestName = "le16 with source register 1")]
    [TestCase("d4 00 00 00 08 00 00 00", TestName = "le with width 8")]
    [TestCase("d7 00 00 00 00 00 00 00", TestName = "bswap with width 0")]
    [TestCase("85 01 00 00 00 00 00 00", TestName = "call with destination register 1")]
    [TestCase("85 00 01 00 00 00 00 00", TestName = "call with offset 1")]
    [TestCase("85 30 00 00 00 00 00 00", TestName = "call with source 3")]
    [TestCase("8d 00 01 00 00 00 00 00", TestName = "callx with offset 1")]
    [TestCase("8d 00 00 00 01 00 00 00", TestName = "callx with immediate 1")]
    [TestCase("95 01 00 00 00 00 00 00", TestName = "exit with destination register 1")]
    [TestCase("95 00 00 00 01 00 00 00", TestName = "exit with immediate 1")]
    [TestCase("05 01 00 00 00 00 00 00", TestName = "ja with destination register 1")]
    [TestCase("05 00 00 00 01 00 00 00", TestName = "ja with immediate 1")]
    [TestCase("06 00 01 00 00 00 00 00", TestName = "ja32 with offset 1")]
    [TestCase("15 10 00 00 00 00 00 00", TestName = "jeq imm with source register 1")]
    [TestCase("1d 00 00 00 01 00 00 00", TestName = "jeq reg with immediate 1")]
    [TestCase("79 10 00 00 01 00 00 00", TestName = "ldxdw with immediate 1")]
    [TestCase("62 1a fc ff 00 00 00 00", TestName = "stw with source register 1")]
    [TestCase("7b 1a f8 ff 01 00 00 00", TestName = "stxdw with immediate 1")]
    [TestCase("db 1a f8 ff 02 00 00 00", TestName = "atomic with operation code 2")]
    [TestCase("d3 1a f8 ff 00 00 00 00", TestName = "atomic add on a byte")]
    [TestCase("20 01 00 00 0c 00 00 00", TestName = "ldabsw with destination register 1")]
    [TestCase("40 01 00 00 0c 00 00 00", TestName = "ldindw with destination register 1")]
    [TestCase("18 00 01 00 00 00 00 00\n00 00 00 00 00 00 00 00", TestName = "lddw with offset 1")]
    [TestCase("18 70 00 00 00 00 00 00\n00 00 00 00 00 00 00 00", TestName = "lddw with source 7")]
    public void NonZeroReservedField(string bad) => AssertRejectedAt(1, Mov0, bad, Exit);

    [TestCase("18 00 00 00 00 00 00 00\n01 00 00 00 00 00 00 00", TestName = "lddw second slot with an opcode")]
    [TestCase("18 00 00 00 00 00 00 00\n00 01 00 00 00 00 00 00", TestName = "lddw second slot with a register")]
    [TestCase("18 00 00 00 00 00 00 00\n00 00 01 00 00 00 00 00", TestName = "lddw second slot with an offset")]
    [TestCase("18 11 00 00 03 00 00 00\n00 00 00 00 01 00 00 00", TestName = "lddw map_fd with a second immediate")]
    [TestCase("18 51 00 00 03 00 00 00\n00 00 00 00 01 00 00 00", TestName = "lddw map_idx with a second immediate")]
    public void BadSecondSlotOfLddw(string bad) => AssertRejectedAt(2, Mov0, bad, Exit);

    [Test]
    public void ValidReferenceProgramDecodes()
    {
        // mov r0, 1; lddw r1, map_value(3+16); ldxw r0, [r1+4]; jeq r0, 0, +1; exit; exit
        var program = Bytecode.Decode(Hex.Bytes("""
            b7 00 00 00 01 00 00 00
            18 21 00 00 03 00 00 00
            00 00 00 00 10 00 00 00
            61 10 04 00 00 00 00 00
            15 00 01 00 00 00 00 00
            95 00 00 00 00 00 00 00
            95 00 00 00 00 00 00 00
            """));
        Assert.That(program.Length, Is.EqualTo(7));
        Assert.That(program.InfoAt(2), Is.Null);
        Assert.That(program.Immediate64At(1), Is.EqualTo(0x0000_0010_0000_0003UL));
        Assert.That(program.Functions, Has.Count.EqualTo(1));
    }

    [TestCase("b7 0b 00 00 01 00 00 00", TestName = "mov to r11")]
    [TestCase("b7 0f 00 00 01 00 00 00", TestName = "mov to r15")]
    [TestCase("bf b0 00 00 00 00 00 00", TestName = "mov from r11")]
    [TestCase("61 c0 00 00 00 00 00 00", TestName = "ldxw from r12")]
    [TestCase("63 0b 00 00 00 00 00 00", TestName = "stxw to r11")]
    [TestCase("8d 0b 00 00 00 00 00 00", TestName = "callx r11")]
    [TestCase("48 b0 00 00 00 00 00 00", TestName = "ldindh with r11")]
    public void BadRegister(string bad) => AssertRejectedAt(1, Mov0, bad, Exit);

    [TestCase("b7 0a 00 00 01 00 00 00", TestName = "mov to r10")]
    [TestCase("04 0a 00 00 01 00 00 00", TestName = "add32 to r10")]
    [TestCase("87 0a 00 00 00 00 00 00", TestName = "neg r10")]
    [TestCase("d4 0a 00 00 10 00 00 00", TestName = "le16 r10")]
    [TestCase("79 1a 00 00 00 00 00 00", TestName = "ldxdw to r10")]
    [TestCase("91 1a 00 00 00 00 00 00", TestName = "ldxsb to r10")]
    [TestCase("db 1a 00 00 00 01 00 00", TestName = "load-acquire to r10")]
    [TestCase("db a1 00 00 01 00 00 00", TestName = "fetch add into r10")]
    [TestCase("db a1 00 00 e1 00 00 00", TestName = "xchg into r10")]
    [TestCase("18 0a 00 00 00 00 00 00\n00 00 00 00 00 00 00 00", TestName = "lddw to r10")]
    public void WriteToTheFramePointer(string bad) => AssertRejectedAt(1, Mov0, bad, Exit);

    [Test]
    public void ReadingAndStoringThroughTheFramePointerIsFine() =>
        Assert.DoesNotThrow(() => Bytecode.Decode(Hex.Bytes("bf a1 00 00 00 00 00 00\n7b a1 f8 ff 00 00 00 00\ndb 1a f8 ff 00 00 00 00\n" + Exit)));

    [TestCase("05 00 02 00 00 00 00 00", 0, TestName = "ja past the end")]
    [TestCase("05 00 fe ff 00 00 00 00", 0, TestName = "ja before the start")]
    [TestCase("15 00 05 00 00 00 00 00", 0, TestName = "jeq past the end")]
    [TestCase("06 00 00 00 02 00 00 00", 0, TestName = "ja32 past the end")]
    [TestCase("06 00 00 00 00 00 00 80", 0, TestName = "ja32 far before the start")]
    [TestCase("85 10 00 00 02 00 00 00", 0, TestName = "call local past the end")]
    public void JumpOutOfRange(string bad, int index) => AssertRejectedAt(index, bad, Exit);

    [Test]
    public void JumpToTheEndOfTheProgramIsOutOfRange() => AssertRejectedAt(0, "05 00 01 00 00 00 00 00", Exit);

    [Test]
    public void JumpIntoTheMiddleOfAnLddw() =>
        AssertRejectedAt(0, "05 00 01 00 00 00 00 00", "18 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00", Exit);

    [Test]
    public void LocalCallIntoTheMiddleOfAnLddw() =>
        AssertRejectedAt(0, "85 10 00 00 01 00 00 00", "18 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00", Exit);

    [Test]
    public void FunctionAddressOfTheMiddleOfAnLddw() =>
        AssertRejectedAt(0, "18 41 00 00 00 00 00 00", "00 00 00 00 00 00 00 00", Exit);

    [Test]
    public void TruncatedLddw() => AssertRejectedAt(1, Exit, "18 00 00 00 00 00 00 00");

    [Test]
    public void ProgramNotEndingInExit() => AssertRejectedAt(1, Mov0, Mov0);

    [Test]
    public void ProgramEndingInAConditionalJump() => AssertRejectedAt(1, Mov0, "15 00 fe ff 00 00 00 00");

    [Test]
    public void ProgramEndingInAnLddw() => AssertRejectedAt(2, Mov0, "18 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00");

    [Test]
    public void ProgramEndingInAJumpIsFine()
    {
        Assert.DoesNotThrow(() => Bytecode.Decode(Hex.Bytes(Mov0 + "\n05 00 fe ff 00 00 00 00")));
        Assert.DoesNotThrow(() => Bytecode.Decode(Hex.Bytes(Mov0 + "\n06 00 00 00 fe ff ff ff")));
    }

    [Test]
    public void FunctionNotEndingInExit()
    {
        // main: call local +1; exit | f: mov r0, 0 (and then the end)
        AssertRejectedAt(2, "85 10 00 00 01 00 00 00", Exit, Mov0);
    }

    [Test]
    public void MainFallingIntoAFunction()
    {
        // main: call local +1; mov r0, 0 | f: exit -- main's last instruction is the mov.
        AssertRejectedAt(1, "85 10 00 00 01 00 00 00", Mov0, Exit);
    }

    [Test]
    public void JumpOutOfAFunction()
    {
        // main: call local +2; ja +1 (into f); exit | f: exit
        AssertRejectedAt(1, "85 10 00 00 02 00 00 00", "05 00 01 00 00 00 00 00", Exit, Exit);
    }

    [Test]
    public void JumpFromAFunctionBackIntoMain()
    {
        // main: call local +1; exit | f: ja -2 (to main's exit)
        AssertRejectedAt(2, "85 10 00 00 01 00 00 00", Exit, "05 00 fe ff 00 00 00 00");
    }

    [Test]
    public void RecursiveLocalCall()
    {
        // main: call local +1; exit | f: call local -1 (itself); exit
        AssertRejectedAt(2, "85 10 00 00 01 00 00 00", Exit, "85 10 00 00 ff ff ff ff", Exit);
    }

    [Test]
    public void MutuallyRecursiveLocalCalls()
    {
        // main: call f; exit | f: call g; exit | g: call f; exit
        AssertRejectedAt(4, "85 10 00 00 01 00 00 00", Exit, "85 10 00 00 01 00 00 00", Exit, "85 10 00 00 fd ff ff ff", Exit);
    }

    [Test]
    public void MainCallingItselfIsRecursion() => AssertRejectedAt(0, "85 10 00 00 ff ff ff ff", Exit);

    [Test]
    public void EightFramesAreAllowed() =>
        Assert.That(Bytecode.Decode(Hex.Bytes(CallChain(8))).Functions, Has.Count.EqualTo(8));

    [Test]
    public void NineFramesAreTooDeep()
    {
        // Functions k = 0..8 at slots 2k, 2k+1; the ninth frame is entered by the call in function 7, slot 14.
        AssertRejectedAt(14, CallChain(9));
    }

    [Test]
    public void DepthCountsTheDeepestPathThroughSharedCallees()
    {
        // main calls a chain of 7 functions directly and through x: 8 frames on the first path, 9 on the second.
        //  0: call local f1 (chain start, slot 6)    -> main, f1..f7 = 8 frames: fine
        //  1: call local x (slot 4)
        //  2: exit
        //  3: exit (padding so that x starts at 4)
        //  4: call local f1 (slot 6)                 -> main, x, f1..f7 = 9 frames
        //  5: exit
        //  6..: f1..f7 as a chain
        var slots = new List<string> { Call(5), Call(2), Exit, Exit, Call(1), Exit };
        slots.AddRange(Hex.Normalize(CallChain(7)).Split('\n'));
        var error = Assert.Throws<InvalidBytecodeException>(() => Bytecode.Decode(Hex.Bytes(string.Join("\n", slots))));
        Assert.That(error!.InstructionIndex, Is.EqualTo(4), error.Message);
    }

    [Test]
    public void EmptyProgram()
    {
        var error = Assert.Throws<InvalidBytecodeException>(() => Bytecode.Decode([]));
        Assert.That(error!.InstructionIndex, Is.EqualTo(-1));
        Assert.Throws<InvalidBytecodeException>(() => Bytecode.Create([]));
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(12)]
    [TestCase(17)]
    public void LengthNotAMultipleOfEight(int length)
    {
        var error = Assert.Throws<InvalidBytecodeException>(() => Bytecode.Decode(new byte[length]));
        Assert.That(error!.InstructionIndex, Is.EqualTo(-1));
        Assert.That(error.Message, Does.Contain(length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void MessagesNameTheInstructionAndItsBytes()
    {
        var error = Assert.Throws<InvalidBytecodeException>(() => Bytecode.Decode(Hex.Bytes(Mov0 + "\n07 00 01 00 01 00 00 00\n" + Exit)));
        Assert.That(error!.Message, Does.StartWith("instruction 1: ").And.Contain("07 00 01 00 01 00 00 00").And.Contain("offset"));
    }

    /// <summary>A local call by <paramref name="relative"/> slots from the next one.</summary>
    private static string Call(int relative) => new Instruction(0x85, src: 1, immediate: relative).ToHex();

    /// <summary>
    /// <paramref name="frames"/> functions of two slots each, every one calling the next
    /// (<c>call local +1; exit</c>), the last one <c>mov r0, 0; exit</c>.
    /// </summary>
    private static string CallChain(int frames)
    {
        var lines = new List<string>();
        for (int k = 0; k < frames; k++)
            lines.AddRange(k < frames - 1 ? [Call(1), Exit] : [Mov0, Exit]);
        return string.Join("\n", lines);
    }

    private static void AssertRejectedAt(int index, params string[] slots)
    {
        var bytes = Hex.Bytes(string.Join("\n", slots));
        var error = Assert.Throws<InvalidBytecodeException>(() => Bytecode.Decode(bytes));
        Assert.That(error!.InstructionIndex, Is.EqualTo(index), error.Message);
        Assert.That(error.Message, Does.StartWith($"instruction {index}: "));
    }
}
