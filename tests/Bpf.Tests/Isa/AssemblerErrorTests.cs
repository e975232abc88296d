using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>
/// Text the assembler must reject, each time naming the line. The bad line is always the third,
/// after a comment and a blank line, so that the line count is tested too.
/// </summary>
[TestFixture]
public sealed class AssemblerErrorTests
{
    private const int BadLine = 3;

    [TestCase("mov32 %r0, 2147483648", "out of range")]
    [TestCase("mov32 %r0, -2147483649", "out of range")]
    [TestCase("mov32 %r0, 0x100000000", "out of range")]
    [TestCase("mov32 %r0, -0x80000001", "out of range")]
    [TestCase("mov32 %r0, 4294967295", "out of range")]
    [TestCase("stw [%r1+0], 99999999999999999999999999999999", "out of range")]
    [TestCase("jeq %r1, 0x1ffffffff, +1", "out of range")]
    [TestCase("lddw %r0, 0x10000000000000000", "64 bits")]
    [TestCase("lddw %r0, 18446744073709551616", "64 bits")]
    [TestCase("lddw %r0, -9223372036854775809", "64 bits")]
    [TestCase("lddw %r1, map_value(3+0x100000000)", "out of range")]
    [TestCase("ldxb %r0, [%r1+0x10000]", "Offset")]
    [TestCase("ldxb %r0, [%r1+32768]", "Offset")]
    [TestCase("stxb [%r1-32769], %r0", "Offset")]
    [TestCase("ja +32768", "out of range")]
    [TestCase("jeq %r0, 0, -32769", "out of range")]
    [TestCase("ja32 +2147483648", "out of range")]
    [TestCase("call local +2147483648", "out of range")]
    public void ValuesOutOfRange(string line, string expected) => AssertRejected(line, expected);

    [TestCase("ldxq %r0, %r1", "Unknown mnemonic 'ldxq'")]
    [TestCase("addd %r0, 1", "Unknown mnemonic")]
    [TestCase("lock foo [%r10-8], %r1", "Unknown mnemonic 'lock foo'")]
    [TestCase(".section text", "Unknown directive '.section'")]
    [TestCase("-- Unknown directive", "Expected a mnemonic")]
    public void UnknownMnemonics(string line, string expected) => AssertRejected(line, expected);

    [TestCase("lddw %r0", "Invalid number of operands for lddw")]
    [TestCase("lock or [%r10-8]", "Invalid number of operands for lock")]
    [TestCase("lock", "Invalid number of operands for lock")]
    [TestCase("lock fetch", "Invalid number of operands for lock")]
    [TestCase("exit 0", "Invalid number of operands for exit")]
    [TestCase("add %r0", "Invalid number of operands for add")]
    [TestCase("add %r0, 1, 2", "Invalid number of operands for add")]
    [TestCase("neg %r0, %r1", "Invalid number of operands for neg")]
    [TestCase("jeq %r0, 1", "Invalid number of operands for jeq")]
    [TestCase("call", "Invalid number of operands for call")]
    [TestCase("call local", "Invalid number of operands for call local")]
    [TestCase("add %r0,, 1", "Missing operand")]
    [TestCase("add %r0, 1,", "Missing operand")]
    public void WrongOperandCounts(string line, string expected) => AssertRejected(line, expected);

    [TestCase("ldxb %r0, %r1", "Operand 2 of ldxb must be a memory operand")]
    [TestCase("stxb %r0, %r1", "Operand 1 of stxb must be a memory operand")]
    [TestCase("add [%r1], 1", "Operand 1 of add must be a register")]
    [TestCase("add %r0, [%r1]", "Operand 2 of add must be")]
    [TestCase("neg 5", "Operand 1 of neg must be a register")]
    [TestCase("lddw %r0, %r1", "Operand 2 of lddw must be")]
    [TestCase("ja %r1", "Operand 1 of ja must be a jump target")]
    [TestCase("call kfunc %r1", "Operand 1 of call kfunc must be")]
    [TestCase("ldxb %r0, [%r1+x]", "bad offset")]
    [TestCase("ldxb %r0, [4]", "must start with a register")]
    [TestCase("ldxb %r0, [%r1+4", "Unbalanced")]
    [TestCase("ldxb %r0, %r1+4]", "Unbalanced")]
    [TestCase("lddw %r1, map_fd(3+4)", "takes one argument")]
    [TestCase("lddw %r1, map_thing(3)", "Unknown lddw source 'map_thing'")]
    [TestCase("lddw %r1, map_fd()", "needs an argument")]
    [TestCase("mov %r0, 12abc", "not a number")]
    [TestCase("mov %r0, @", "Cannot read operand")]
    [TestCase("call no_such_helper", "Unknown helper 'no_such_helper'")]
    public void WrongOperandKinds(string line, string expected) => AssertRejected(line, expected);

    [TestCase("or %r0, %r50", "Invalid register %r50")]
    [TestCase("mov %r11, 1", "Invalid register %r11")]
    [TestCase("mov %r15, 1", "Invalid register %r15")]
    [TestCase("mov r12, 1", "Invalid register r12")]
    [TestCase("ldxw %r0, [%r16+0]", "Invalid register %r16")]
    [TestCase("mov %rx, 1", "Invalid register %rx")]
    [TestCase("mov %x1, 1", "Invalid register %x1")]
    [TestCase("callx %r11", "Invalid register %r11")]
    public void InvalidRegisters(string line, string expected) => AssertRejected(line, expected);

    [TestCase("ja NOT_A_LABEL", "Undefined label 'NOT_A_LABEL'")]
    [TestCase("jeq %r0, 0, nowhere", "Undefined label 'nowhere'")]
    [TestCase("call local nowhere", "Undefined label 'nowhere'")]
    [TestCase("lddw %r1, func(nowhere)", "Undefined label 'nowhere'")]
    [TestCase("r1: exit", "register name and cannot be a label")]
    public void BadLabels(string line, string expected) => AssertRejected(line, expected);

    [Test]
    public void DuplicateLabelNamesBothLines()
    {
        var error = Assert.Throws<AssemblyException>(() => Assembler.AssembleInstructions("here:\nmov %r0, 0\nhere:\nexit"));
        Assert.That(error!.Line, Is.EqualTo(3));
        Assert.That(error.Message, Does.StartWith("line 3: ").And.Contain("'here'").And.Contain("line 1"));
    }

    [Test]
    public void ExitQuirkNeedsAnExitInstruction()
    {
        var error = Assert.Throws<AssemblyException>(() => Assembler.AssembleInstructions("ja exit\nja -2"));
        Assert.That(error!.Line, Is.EqualTo(1));
        Assert.That(error.Message, Does.Contain("Undefined label 'exit'"));
    }

    [Test]
    public void JumpToAFarLabelDoesNotFitTheOffset()
    {
        // 40000 instructions between a jump and its label: too far for the 16-bit offset, fine for ja32.
        string body = string.Concat(Enumerable.Repeat("mov %r0, 0\n", 40000));
        var error = Assert.Throws<AssemblyException>(() => Assembler.AssembleInstructions("ja far\n" + body + "far:\nexit"));
        Assert.That(error!.Line, Is.EqualTo(1));
        Assert.That(error.Message, Does.Contain("'far' is 40000 instructions away"));

        var slots = Assembler.AssembleInstructions("ja32 far\n" + body + "far:\nexit");
        Assert.That(slots[0].Immediate, Is.EqualTo(40000));
    }

    [Test]
    public void InvalidProgramsAssembleButDoNotValidate()
    {
        // The text is fine; the program is not (it writes r10), which is validation's business.
        Assert.That(Assembler.AssembleInstructions("mov %r10, 1\nexit"), Has.Length.EqualTo(2));
        var error = Assert.Throws<InvalidBytecodeException>(() => Assembler.Assemble("mov %r10, 1\nexit"));
        Assert.That(error!.InstructionIndex, Is.EqualTo(0));
    }

    [Test]
    public void UnreachableLabelAtTheEndIsOnlyAValidationError()
    {
        Assert.That(Assembler.AssembleInstructions("ja end\nexit\nend:"), Has.Length.EqualTo(2));
        Assert.Throws<InvalidBytecodeException>(() => Assembler.Assemble("ja end\nexit\nend:"));
    }

    [Test]
    public void EmptySourceIsAnEmptyProgram()
    {
        var error = Assert.Throws<InvalidBytecodeException>(() => Assembler.Assemble(""));
        Assert.That(error!.InstructionIndex, Is.EqualTo(-1));
    }

    [Test]
    public void AssemblyExceptionIsABpfException()
    {
        var error = new AssemblyException(7, "Something is wrong");
        Assert.That(error, Is.InstanceOf<BpfException>());
        Assert.That(error.Line, Is.EqualTo(7));
        Assert.That(error.Reason, Is.EqualTo("Something is wrong"));
        Assert.That(error.Message, Is.EqualTo("line 7: Something is wrong"));
    }

    private static void AssertRejected(string line, string expected)
    {
        string source = $"# preceded by a comment and a blank line\n\n{line}\nexit\n";
        var error = Assert.Throws<AssemblyException>(() => Assembler.AssembleInstructions(source));
        Assert.That(error!.Line, Is.EqualTo(BadLine), error.Message);
        Assert.That(error.Message, Does.StartWith($"line {BadLine}: ").And.Contain(expected));
    }
}
