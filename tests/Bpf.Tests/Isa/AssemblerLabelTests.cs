using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>Labels: forward and backward jumps, lddw's two slots, the suite's <c>exit</c> quirk, function names.</summary>
[TestFixture]
public sealed class AssemblerLabelTests
{
    [Test]
    public void ForwardAndBackwardJumps()
    {
        const string source = """
            start:
                mov %r0, 0          # 0
            loop:
                add %r0, 1          # 1
                jlt %r0, 10, loop   # 2: back to 1, offset -2
                ja done             # 3: on to 5, offset +1
                mov %r0, 99         # 4
            done:
                exit                # 5
            """;
        var slots = Assembler.AssembleInstructions(source);
        Assert.That(slots, Has.Length.EqualTo(6));
        Assert.That(slots[2].Offset, Is.EqualTo(-2));
        Assert.That(slots[3].Offset, Is.EqualTo(1));
    }

    [Test]
    public void LddwCountsTwoSlots()
    {
        const string source = """
            ja over           # 0: to 4, offset +3
            lddw %r0, 1       # 1-2
            mov %r0, 2        # 3
            over: exit        # 4
            """;
        var slots = Assembler.AssembleInstructions(source);
        Assert.That(slots, Has.Length.EqualTo(5));
        Assert.That(slots[0].Offset, Is.EqualTo(3));
        Assert.That(slots[4].Opcode, Is.EqualTo(0x95));
    }

    [Test]
    public void LabelOnTheSameLineAsItsInstruction()
    {
        var slots = Assembler.AssembleInstructions("jeq %r1, 0, out\nmov %r0, 1\nout: exit");
        Assert.That(slots[0].Offset, Is.EqualTo(1));
    }

    [Test]
    public void SeveralLabelsOnOneSlot()
    {
        var slots = Assembler.AssembleInstructions("ja b\na:\nb: c:\nexit\nja a\nja c");
        Assert.That(slots.Select(s => (int)s.Offset), Is.EqualTo(new[] { 0, 0, -2, -3 }));
    }

    [Test]
    public void WideTargetsUseTheImmediate()
    {
        var slots = Assembler.AssembleInstructions("ja32 end\ngotol end\nlddw %r1, func(end)\ncall local end\nend: exit");
        Assert.That(slots.Select(s => s.Immediate), Is.EqualTo(new[] { 4, 3, 2, 0, 0, 0 }));
        Assert.That(slots.Select(s => (int)s.Offset), Is.All.EqualTo(0));
    }

    [Test]
    public void ExitNamesTheFirstExitWhenNoLabelHasThatName()
    {
        const string source = """
            jne %r1, 0, exit   # 0: to 3
            mov %r0, 1         # 1
            ja exit            # 2: to 3
            exit               # 3
            exit               # 4
            """;
        var slots = Assembler.AssembleInstructions(source);
        Assert.That(slots[0].Offset, Is.EqualTo(2));
        Assert.That(slots[2].Offset, Is.EqualTo(0));
    }

    [Test]
    public void ExitQuirkLooksForward()
    {
        var slots = Assembler.AssembleInstructions("ja exit\nmov %r0, 1\nexit");
        Assert.That(slots[0].Offset, Is.EqualTo(1));
    }

    [Test]
    public void ALabelCalledExitWins()
    {
        var slots = Assembler.AssembleInstructions("ja exit\nexit\nexit:\nmov %r0, 1\nexit");
        Assert.That(slots[0].Offset, Is.EqualTo(1));
    }

    [Test]
    public void LabelsAreCaseSensitive()
    {
        var error = Assert.Throws<AssemblyException>(() => Assembler.AssembleInstructions("ja Done\ndone: exit"));
        Assert.That(error!.Message, Does.Contain("Undefined label 'Done'"));
    }

    [Test]
    public void CallTargetsNameTheirFunctions()
    {
        const string source = """
            call local helper_one
            lddw %r1, func(callback)
            call local +1            # also helper_one, by number
            exit
            helper_one:
                mov %r0, 1
                exit
            callback:
            other_name:
                exit
            """;
        var program = Assembler.Assemble(source);
        Assert.That(program.Functions.Select(f => (f.Name, f.Start)), Is.EqualTo(new[] { ("main", 0), ("helper_one", 5), ("callback", 7) }));
        Assert.That(program.Functions[2].IsAddressTaken, Is.True);
    }

    [Test]
    public void PlainJumpLabelsDoNotNameFunctions()
    {
        var program = Assembler.Assemble("start:\nja +0\nexit");
        Assert.That(program.Functions.Select(f => f.Name), Is.EqualTo(new[] { "main" }));
    }

    [Test]
    public void TheSuitesLocalCallProgramAssembles()
    {
        // Written for this test in the style of the suite's call_local tests.
        const string source = """
            mov %r6, 6
            call local func1
            add %r0, %r6
            exit
            func1:
            mov %r6, 1
            mov %r0, 10
            exit
            """;
        var program = Assembler.Assemble(source);
        Assert.That(program.Functions, Has.Count.EqualTo(2));
        Assert.That(program.Functions[1].Name, Is.EqualTo("func1"));
        Assert.That(program[1].Immediate, Is.EqualTo(2));
        Assert.That(program[1].Src, Is.EqualTo(1));
    }
}
