using Bpf.Cli.Conformance;
using Bpf.Isa;

namespace Bpf.Tests.Cli;

public class DataFileParserTests
{
    private static DataFile Parse(string text) => DataFileParser.Parse(text, "case.data");

    [Test]
    public void ReadsEverySection()
    {
        var file = Parse("""
            # a comment before the first section
            -- asm
            mov %r0, 1
            # a comment inside asm
            exit
            -- mem
            00 01 02
            ff
            -- result
            0x1F
            -- c
            #include <stdint.h>
            -- no register offset
            call instruction
            """);

        Assert.That(file.Asm, Is.Not.Null);
        Assert.That(file.Asm!.Line, Is.EqualTo(2));
        Assert.That(file.Asm.Lines, Is.EqualTo(new[] { "mov %r0, 1", "", "exit" }), "comment lines are blanked, not dropped");
        Assert.That(file.Asm.FileLine(2), Is.EqualTo(5));
        Assert.That(file.Memory, Is.EqualTo(new byte[] { 0, 1, 2, 0xff }));
        Assert.That(file.Result, Is.EqualTo(0x1fUL));
        Assert.That(file.Error, Is.Null);
        Assert.That(file.Raw, Is.Null);
        Assert.That(file.UnknownSections, Is.Empty);
        Assert.That(file.HasProgram, Is.True);
        Assert.That(file.HasExpectation, Is.True);
    }

    [Test]
    public void ReadsRawAsWordsOrAsBytes()
    {
        var file = Parse("""
            -- raw
            0x00000001000000b7
            95 00 00 00 00 00 00 00
            # words may share a line, in hex or decimal
            0x0000000200000007 149
            -- result
            1
            """);

        Assert.That(file.Raw, Is.EqualTo(new[]
        {
            new Instruction(0xb7, immediate: 1),
            new Instruction(0x95),
            new Instruction(0x07, immediate: 2),
            new Instruction(0x95),
        }));
        Assert.That(file.RawLine, Is.EqualTo(1));
    }

    [Test]
    public void ReadsErrorText()
    {
        var withText = Parse("-- asm\nlock\n-- error\nInvalid number of operands for lock");
        Assert.That(withText.Error, Is.EqualTo("Invalid number of operands for lock"));
        Assert.That(withText.Result, Is.Null);

        var empty = Parse("-- raw\n95 00 00 00 00 00 00 00\n-- error\n");
        Assert.That(empty.Error, Is.EqualTo(""), "an empty error section still expects a rejection");
        Assert.That(empty.HasExpectation, Is.True);
    }

    [Test]
    public void NegativeResultsAreTwosComplement()
    {
        Assert.That(Parse("-- result\n-1").Result, Is.EqualTo(ulong.MaxValue));
        Assert.That(Parse("-- result\n0xffffffffffffffff").Result, Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void KeepsUnknownSections()
    {
        var file = Parse("-- asm\n-- Unknown directive\nwhatever\n-- error\nInvalid register");
        Assert.That(file.UnknownSections.Select(s => s.Name), Is.EqualTo(new[] { "Unknown directive" }));
        Assert.That(file.HasProgram, Is.False, "the asm section is empty");
    }

    [Test]
    public void EmptyFileHasNothing()
    {
        var file = Parse("# only comments\n\n");
        Assert.That(file.HasProgram, Is.False);
        Assert.That(file.HasExpectation, Is.False);
        Assert.That(file.Memory, Is.Empty);
    }

    [Test]
    public void ToleratesWindowsLineEndings()
    {
        var file = Parse("-- raw\r\n95 00 00 00 00 00 00 00\r\n-- result\r\n0x0\r\n");
        Assert.That(file.Raw, Has.Count.EqualTo(1));
        Assert.That(file.Result, Is.EqualTo(0UL));
    }

    [TestCase("mov %r0, 1\n-- result\n1", 1, "before the first")]
    [TestCase("-- result\n1\n-- result\n2", 3, "second '-- result'")]
    [TestCase("-- result\n1 2", 2, "more than one value")]
    [TestCase("-- result\n", 1, "empty")]
    [TestCase("-- result\nseven", 2, "not a number")]
    [TestCase("-- mem\n00 1 02", 2, "not a byte")]
    [TestCase("-- raw\n0xZZ", 2, "-- raw")]
    [TestCase("-- raw\n95 00 00 00 00 00 00", 2, "-- raw")]
    [TestCase("-- result\n0\n-- error\nno", 3, "both")]
    [TestCase("--\n", 1, "without a section name")]
    public void MalformedFilesNameTheLine(string text, int line, string reason)
    {
        Assert.That(() => Parse(text), Throws.TypeOf<DataFileException>()
            .With.Property(nameof(DataFileException.Line)).EqualTo(line)
            .And.Message.Contains(reason)
            .And.Message.StartsWith("case.data:"));
    }

    [Test]
    public void AsmAndRawMustAgree()
    {
        var file = Parse("-- raw\nb7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- result\n1");
        Assert.That(DataFileProgram.Instructions(file), Is.EqualTo(new[] { new Instruction(0xb7, immediate: 1), new Instruction(0x95) }));

        var none = Parse("-- result\n1");
        Assert.That(() => DataFileProgram.Instructions(none), Throws.TypeOf<DataFileException>().With.Message.Contains("no program"));
    }
}
