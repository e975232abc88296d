using Bpf.Isa;
using static Bpf.Tests.Cli.Programs;

namespace Bpf.Tests.Cli;

public class ConformanceCommandTests
{
    private static string Case(Instruction[] program, string expectation, string? memory = null) =>
        $"# written by the test\n-- raw\n{RawLines(program)}\n" + (memory is null ? "" : $"-- mem\n{memory}\n") + expectation + "\n";

    [Test]
    public void ReportsEachFileAndEngineAndTheTotals()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("tests/pass.data", Case(Return(5), "-- result\n0x5"));
        dir.Write("tests/memory.data", Case(SumOfFirstTwoBytes(), "-- result\n0x30", "10 20 ff"));
        dir.Write("tests/wrong.data", Case(Return(5), "-- result\n0x6"));

        var run = ToolRun.Invoke("conformance", Path.Combine(dir.Path, "tests"), "--engine", "all");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var lines = run.OutLines;
        int engines = Bpf.Cli.Engines.All.Count;
        Assert.That(lines, Has.Length.EqualTo(3 * engines + 1));
        Assert.That(lines[^1], Is.EqualTo($"{2 * engines} passed, {engines} failed"));
        foreach (var engine in Bpf.Cli.Engines.All)
        {
            Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith($"PASS [{engine.Name}] ") && l.Contains("pass.data")));
            Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith($"PASS [{engine.Name}] ") && l.Contains("memory.data")));
            Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith($"FAIL [{engine.Name}] ") && l.Contains("wrong.data") && l.Contains("expected r0 = 0x6, got 0x5")));
        }
    }

    [Test]
    public void AllPassingExitsZero()
    {
        using var dir = new TemporaryDirectory();
        string file = dir.Write("one.data", Case(Return(7), "-- result\n7"));

        var run = ToolRun.Invoke("conformance", file, "--engine", "interpreter");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.OutLines, Is.EqualTo(new[] { $"PASS [interpreter] {file}: r0 = 0x7", "1 passed, 0 failed" }));
    }

    [Test]
    public void NegativeCasesPassWhenTheyDoNotPassAsWritten()
    {
        using var dir = new TemporaryDirectory();
        // A reserved field set: the decoder must reject it.
        dir.Write("negative/unused-mov-offset.data", "-- raw\nb7 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n");
        // The stated result is wrong.
        dir.Write("negative/wrong-result.data", Case(Return(1), "-- result\n0x2"));
        // An error is expected, but the program is fine.
        dir.Write("negative/no-error.data", Case(Return(1), "-- error\nInvalid"));
        // No program at all.
        dir.Write("negative/empty.data", "# nothing\n");
        // Malformed.
        dir.Write("negative/malformed.data", "text outside a section\n");
        // This one passes as written, so the negative case fails.
        dir.Write("negative/correct.data", Case(Return(3), "-- result\n3"));

        var run = ToolRun.Invoke("conformance", Path.Combine(dir.Path, "negative"), "--engine", "interpreter");

        var lines = run.OutLines;
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(lines[^1], Is.EqualTo("5 passed, 1 failed"));
        Assert.That(Line(lines, "unused-mov-offset"), Does.StartWith("PASS").And.Contains("rejected by the decoder"));
        Assert.That(Line(lines, "wrong-result"), Does.StartWith("PASS").And.Contains("expectation not met"));
        Assert.That(Line(lines, "no-error"), Does.StartWith("PASS").And.Contains("expected a rejection").And.Contains("Invalid"));
        Assert.That(Line(lines, "empty.data"), Does.StartWith("PASS").And.Contains("no program"));
        Assert.That(Line(lines, "malformed"), Does.StartWith("PASS").And.Contains("rejected by the data-file reader"));
        Assert.That(Line(lines, "correct"), Does.StartWith("FAIL").And.Contains("passed as written"));
    }

    [Test]
    public void UnusedFieldCasesMustFailInTheDecoder()
    {
        using var dir = new TemporaryDirectory();
        // Nothing reserved is set: it runs, and the result is wrong, but that is not enough for an unused-* case.
        dir.Write("negative/unused-nothing.data", Case(Return(1), "-- result\n0x2"));

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "interpreter");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.OutLines[0], Does.StartWith("FAIL").And.Contains("decoder must reject"));
    }

    [Test]
    public void ErrorCasesPassWhenRejectedAndShowBothMessages()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("bad.data", "-- raw\nff 00 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n-- error\nUnknown opcode 0xff");

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "interpreter");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.OutLines[0], Does.StartWith("PASS").And.Contains("rejected by the decoder: instruction 0").And.Contains("reference: \"Unknown opcode 0xff\""));
    }

    [Test]
    public void RunawayProgramsAreStoppedByTheBudget()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("forever.data", Case(Forever(), "-- result\n0"));

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "all", "--budget", "10000");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.OutLines.SkipLast(1), Has.All.StartsWith("FAIL").And.All.Contains("stopped at run time"));
    }

    [Test]
    public void PositiveFilesWithoutProgramOrExpectationFail()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("empty.data", "# nothing\n");
        dir.Write("no-expectation.data", $"-- raw\n{RawLines(Return(0))}\n");

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "interpreter");

        Assert.That(run.OutLines[^1], Is.EqualTo("0 passed, 2 failed"), run.ToString());
        Assert.That(Line(run.OutLines, "empty.data"), Does.Contain("no program"));
        Assert.That(Line(run.OutLines, "no-expectation"), Does.Contain("no expectation"));
    }

    [Test]
    public void FailuresOnlyPrintsFailuresAndTotals()
    {
        using var dir = new TemporaryDirectory();
        dir.Write("a.data", Case(Return(1), "-- result\n1"));
        dir.Write("b.data", Case(Return(1), "-- result\n2"));

        var run = ToolRun.Invoke("conformance", dir.Path, "--engine", "interpreter", "--failures-only");

        Assert.That(run.OutLines, Has.Length.EqualTo(2));
        Assert.That(run.OutLines[0], Does.StartWith("FAIL").And.Contains("b.data"));
        Assert.That(run.OutLines[1], Is.EqualTo("1 passed, 1 failed"));
    }

    [Test]
    public void MissingPathsAndEmptyDirectoriesAreUsageErrors()
    {
        using var dir = new TemporaryDirectory();
        var missing = ToolRun.Invoke("conformance", Path.Combine(dir.Path, "nope"));
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Does.Contain("no such file or directory"));

        var empty = ToolRun.Invoke("conformance", dir.Path);
        Assert.That(empty.ExitCode, Is.EqualTo(2));
        Assert.That(empty.Error, Does.Contain("no .data files"));

        var engine = ToolRun.Invoke("conformance", dir.Path, "--engine", "quantum");
        Assert.That(engine.ExitCode, Is.EqualTo(2));
        Assert.That(engine.Error, Does.Contain("unknown engine 'quantum'"));
    }

    private static string Line(string[] lines, string fileName) =>
        lines.Single(l => l.Contains(fileName, StringComparison.Ordinal));
}
