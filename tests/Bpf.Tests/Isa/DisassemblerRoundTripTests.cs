using Bpf.Isa;
using NUnit.Framework.Constraints;

namespace Bpf.Tests.Isa;

/// <summary>
/// The conformance style must round-trip exactly: assembling the disassembly of any valid
/// instruction or program gives back the identical slots, with relative targets and with labels.
/// </summary>
[TestFixture]
public sealed class DisassemblerRoundTripTests
{
    private const int RandomProgramCount = 2500;

    private static IEnumerable<TestCaseData> Rows() =>
        OpcodeTable.All.Select((row, index) => new TestCaseData(index).SetArgDisplayNames($"{index:d3} {row}"));

    [TestCaseSource(nameof(Rows))]
    public void EveryRowRoundTrips(int rowIndex)
    {
        var row = OpcodeTable.All[rowIndex];
        var random = new Random(rowIndex);
        for (int i = 0; i < 64; i++)
        {
            var slots = RandomPrograms.Instance(row, random);
            string text = Disassembler.Format(slots, 0);
            Assert.That(text, Does.StartWith(row.Mnemonic), $"{Hex.Of(slots)} was written as {text}");
            Assert.That(Hex.Of(Assembler.AssembleInstructions(text)), Is.EqualTo(Hex.Of(slots)), text);
        }
    }

    [TestCaseSource(nameof(Rows))]
    public void TheTextOfEveryLayoutCarriesExactlyTheOperandFields(int rowIndex)
    {
        var row = OpcodeTable.All[rowIndex];
        Assert.That(AssemblySyntax.FieldsOf(row.Layout), Is.EqualTo(row.Operands), row.ToString());
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RandomProgramsRoundTrip(bool useLabels)
    {
        var random = new Random(useLabels ? 9669 : 4180);
        var options = new DisassemblerOptions(UseLabels: useLabels);
        for (int n = 0; n < RandomProgramCount; n++)
        {
            var program = Bytecode.Create(RandomPrograms.Program(random));
            string text = Disassembler.Disassemble(program, options);
            var slots = Assembler.AssembleInstructions(text);
            if (!slots.AsSpan().SequenceEqual(program.Instructions))
                Assert.That(Hex.Of(slots), Is.EqualTo(Hex.Of(program.Instructions.ToArray())), $"program {n}:\n{text}");

            // Assembling for real validates and finds the same functions (named after their labels).
            var again = Assembler.Assemble(text);
            Assert.That(again.Functions.Select(f => f.Start), Is.EqualTo(program.Functions.Select(f => f.Start)), text);
            if (useLabels)
                Assert.That(again.Functions.Skip(1).Select(f => f.Name), Is.EqualTo(program.Functions.Skip(1).Select(f => f.Name)), text);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DisassemblyIsAFixpoint(bool useLabels)
    {
        var random = new Random(useLabels ? 1 : 2);
        var options = new DisassemblerOptions(UseLabels: useLabels);
        for (int n = 0; n < 500; n++)
        {
            var program = Bytecode.Create(RandomPrograms.Program(random));
            string first = Disassembler.Disassemble(program, options);
            string second = Disassembler.Disassemble(Assembler.Assemble(first), options);
            Assert.That(second, Is.EqualTo(first));
        }
    }

    [Test]
    public void ProgramWithLabels()
    {
        var program = Bytecode.Create(Assembler.AssembleInstructions("""
            mov %r0, 0
            jeq %r1, 0, +2
            call local +4
            ja -3
            lddw %r2, func(+2)
            exit
            mov %r0, 1
            exit
            """));
        const string expected = """
            main:
                mov %r0, 0
            L1:
                jeq %r1, 0, L4
                call local func_7
                ja L1
            L4:
                lddw %r2, func(func_7)
                exit
            func_7:
                mov %r0, 1
                exit

            """;
        Assert.That(Disassembler.Disassemble(program, new DisassemblerOptions(UseLabels: true)), Is.EqualTo(expected.ReplaceLineEndings("\n")));
        Assert.That(Assembler.AssembleInstructions(expected), Is.EqualTo(program.Instructions.ToArray()));
    }

    [Test]
    public void ProgramWithoutLabels()
    {
        var program = Assembler.Assemble("mov %r0, 0\njeq %r1, 0, +2\nlddw %r0, 0x1122334455667788\nexit");
        Assert.That(Disassembler.Disassemble(program), Is.EqualTo("mov %r0, 0\njeq %r1, 0, +2\nlddw %r0, 0x1122334455667788\nexit\n"));
    }

    [Test]
    public void ShowIndicesPrefixesEachInstructionWithItsSlot()
    {
        var program = Assembler.Assemble("lddw %r0, 1\nja +0\nexit");
        Assert.That(Disassembler.Disassemble(program, new DisassemblerOptions(ShowIndices: true)),
            Is.EqualTo("   0: lddw %r0, 0x1\n   2: ja +0\n   3: exit\n"));
        Assert.That(Disassembler.Disassemble(program, new DisassemblerOptions(DisassemblyStyle.Llvm, UseLabels: true, ShowIndices: true)),
            Is.EqualTo("main:\n   0:     r0 = 0x1 ll\n   2:     goto +0 <L3>\nL3:\n   3:     exit\n"));
    }

    [Test]
    public void FunctionNamesThatAreNotLabelsAreReplaced()
    {
        var slots = Assembler.AssembleInstructions("call local +1\nexit\ncall local +1\nexit\ncall local +1\nexit\nexit");
        var names = new Dictionary<int, string> { [2] = "has space", [4] = "r5", [6] = "L2" };
        var program = Bytecode.Create(slots, names);
        string text = Disassembler.Disassemble(program, new DisassemblerOptions(UseLabels: true));
        Assert.That(text, Does.Contain("func_2:").And.Contain("func_4:").And.Contain("\nL2:\n").And.Contain("call local L2"));
        Assert.That(Assembler.AssembleInstructions(text), Is.EqualTo(slots));
    }

    [Test]
    public void GeneratedLabelsDoNotCollideWithFunctionNames()
    {
        // Function "L2" starts at slot 3; the jump target at slot 2 would also be "L2".
        var slots = Assembler.AssembleInstructions("call local +2\nja +0\nexit\nexit");
        var program = Bytecode.Create(slots, new Dictionary<int, string> { [3] = "L2" });
        string text = Disassembler.Disassemble(program, new DisassemblerOptions(UseLabels: true));
        Assert.That(text, Does.Contain("\nL2:\n").And.Contain("\nL2_2:\n"));
        Assert.That(Assembler.AssembleInstructions(text), Is.EqualTo(slots));
    }

    [TestCase("8f 00 00 00 00 00 00 00", ".invalid 8f 00 00 00 00 00 00 00")]
    [TestCase("07 00 01 00 01 00 00 00", ".invalid 07 00 01 00 01 00 00 00")]
    [TestCase("b7 0b 00 00 01 00 00 00", ".invalid b7 0b 00 00 01 00 00 00")]
    [TestCase("18 00 00 00 01 00 00 00", ".invalid 18 00 00 00 01 00 00 00")]
    [TestCase("18 00 00 00 01 00 00 00  01 00 00 00 00 00 00 00", ".invalid 18 00 00 00 01 00 00 00")]
    [TestCase("18 11 00 00 01 00 00 00  00 00 00 00 05 00 00 00", ".invalid 18 11 00 00 01 00 00 00")]
    [TestCase("18 21 00 00 01 00 00 00  00 00 00 00 05 00 00 00", "lddw %r1, map_value(1+5)")]
    [TestCase("18 31 00 00 01 00 00 00  00 00 00 00 05 00 00 00", "lddw %r1, btf_id(1+5)")]
    [TestCase("18 31 00 00 01 00 00 00  00 00 00 00 00 00 00 00", "lddw %r1, btf_id(1)")]
    [TestCase("18 21 00 00 01 00 00 00  00 00 00 00 00 00 00 00", "lddw %r1, map_value(1+0)")]
    [TestCase("18 61 00 00 02 00 00 00  00 00 00 00 f8 ff ff ff", "lddw %r1, map_idx_value(2-8)")]
    [TestCase("85 30 00 00 00 00 00 00", ".invalid 85 30 00 00 00 00 00 00")]
    public void FormatWritesInvalidEncodingsWithoutThrowing(string bytes, string expected)
    {
        var slots = Instruction.ReadAll(Hex.Bytes(bytes));
        Assert.That(Disassembler.Format(slots, 0), Is.EqualTo(expected));
        IResolveConstraint llvm = expected.StartsWith('.') ? Is.EqualTo(expected) : Does.Not.StartWith(".");
        Assert.That(Disassembler.Format(slots, 0, DisassemblyStyle.Llvm), llvm);
    }

    [Test]
    public void FormatRejectsAnIndexOutsideTheSlots()
    {
        var slots = new[] { new Instruction(0x95) };
        Assert.Throws<ArgumentOutOfRangeException>(() => Disassembler.Format(slots, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Disassembler.Format(slots, -1));
    }

    [TestCase("add %r0, 1", "add %r0, 1")]
    [TestCase("mov32 %r0, 0xffffffff", "mov32 %r0, -1")]
    [TestCase("ldxw %r0, [%r1]", "ldxw %r0, [%r1+0]")]
    [TestCase("stxdw [%r10-8], %r1", "stxdw [%r10-8], %r1")]
    [TestCase("jeq32 %r1, 5, +2", "jeq32 %r1, 5, +2")]
    [TestCase("ja -1", "ja -1")]
    [TestCase("gotol +7", "ja32 +7")]
    [TestCase("swap16 %r1", "bswap16 %r1")]
    [TestCase("call helper 5", "call 5")]
    [TestCase("call bpf_map_lookup_elem", "call 1")]
    [TestCase("callx %r2", "call %r2")]
    [TestCase("call runtime 9", "call kfunc 9")]
    [TestCase("call kfunc 9, -3", "call kfunc 9, -3")]
    [TestCase("call local -4", "call local -4")]
    [TestCase("lock fetch add32 [%r10-4], %r1", "lock fetch add32 [%r10-4], %r1")]
    [TestCase("lddw %r0, 5", "lddw %r0, 0x5")]
    [TestCase("lddw %r1, func(-7)", "lddw %r1, func(-7)")]
    [TestCase("ldindb %r3, -4", "ldindb %r3, -4")]
    public void CanonicalSpelling(string source, string expected)
    {
        var slots = Assembler.AssembleInstructions(source);
        Assert.That(Disassembler.Format(slots, 0), Is.EqualTo(expected));
    }
}
