using Bpf.Cli.Input;
using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Cli.Conformance;

/// <summary>
/// One data file of the suite, read and assembled once, then run and judged on each engine.
/// The rules are in docs/conformance.md.
/// </summary>
internal sealed class ConformanceCase
{
    /// <summary>The directory name that marks a file as one of the suite's self-tests of a harness.</summary>
    public const string NegativeDirectory = "negative";

    /// <summary>The file-name prefix of the negative cases whose encodings have reserved fields set.</summary>
    public const string UnusedFieldPrefix = "unused-";

    private readonly DataFile? _file;
    private readonly Bytecode? _bytecode;
    private readonly CaseOutcome? _early; // the outcome for every engine when the program never reaches one

    private ConformanceCase(string path, bool isNegative, DataFile? file, Bytecode? bytecode, CaseOutcome? early)
    {
        Path = path;
        IsNegative = isNegative;
        _file = file;
        _bytecode = bytecode;
        _early = early;
    }

    /// <summary>The file, as the user named it or as it was found in a directory.</summary>
    public string Path { get; }

    /// <summary>True for a file in a directory named <c>negative</c>: a case that must not pass as written.</summary>
    public bool IsNegative { get; }

    /// <summary>True for a negative case whose encoding sets a reserved field: only the decoder may reject it.</summary>
    public bool MustFailDecoding => IsNegative && System.IO.Path.GetFileName(Path).StartsWith(UnusedFieldPrefix, StringComparison.Ordinal);

    /// <summary>Reads a file and builds its program; never throws for a bad file (that is an outcome).</summary>
    public static ConformanceCase Load(string path)
    {
        string? directory = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)));
        bool isNegative = string.Equals(directory, NegativeDirectory, StringComparison.Ordinal);

        DataFile file;
        try
        {
            file = DataFileParser.Load(path);
        }
        catch (DataFileException e)
        {
            return new ConformanceCase(path, isNegative, null, null, CaseOutcome.Rejected(CaseStage.DataFile, e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ConformanceCase(path, isNegative, null, null, CaseOutcome.NotJudged(CaseStage.DataFile, $"cannot read the file: {e.Message}"));
        }

        Instruction[] instructions;
        try
        {
            instructions = DataFileProgram.Instructions(file);
        }
        catch (DataFileException e)
        {
            return new ConformanceCase(path, isNegative, file, null, CaseOutcome.Rejected(CaseStage.DataFile, e.Reason));
        }
        catch (ToolUnavailableException e)
        {
            return new ConformanceCase(path, isNegative, file, null, CaseOutcome.NotJudged(CaseStage.Assembler, e.Message));
        }
        catch (BpfException e)
        {
            return new ConformanceCase(path, isNegative, file, null, CaseOutcome.Rejected(CaseStage.Assembler, DataFileProgram.Locate(e, file)));
        }

        try
        {
            return new ConformanceCase(path, isNegative, file, Bytecode.Create(instructions), null);
        }
        catch (InvalidBytecodeException e)
        {
            return new ConformanceCase(path, isNegative, file, null, CaseOutcome.Rejected(CaseStage.Decoder, e.Message));
        }
    }

    /// <summary>Prepares and runs the program on <paramref name="engine"/> (checked mode is the caller's choice in <paramref name="options"/>).</summary>
    public CaseOutcome Run(EngineEntry engine, ExecutionOptions options)
    {
        if (_early is not null)
            return _early;

        BpfExecutable executable;
        try
        {
            executable = engine.Engine.Prepare(_bytecode!, options);
        }
        catch (BpfException e)
        {
            return CaseOutcome.Rejected(CaseStage.Preparation, e.Message);
        }
        catch (Exception e)
        {
            return CaseOutcome.NotJudged(CaseStage.Preparation, $"internal error in the {engine.Name} engine: {e.GetType().Name}: {e.Message} (this is a bug)");
        }

        try
        {
            // A fresh copy each time: programs write their memory, and every engine must see the same input.
            return CaseOutcome.Ran(executable.Run(_file!.Memory.ToArray()));
        }
        catch (BpfException e)
        {
            return CaseOutcome.Stopped(e.Message);
        }
        catch (Exception e)
        {
            return CaseOutcome.NotJudged(CaseStage.Run, $"internal error in the {engine.Name} engine: {e.GetType().Name}: {e.Message} (this is a bug)");
        }
    }

    /// <summary>Whether <paramref name="outcome"/> passes this case.</summary>
    public CaseVerdict Judge(CaseOutcome outcome) => IsNegative ? JudgeNegative(outcome) : JudgeAsWritten(outcome);

    /// <summary>A case as the file states it: the program must return the result, or be rejected.</summary>
    private CaseVerdict JudgeAsWritten(CaseOutcome outcome)
    {
        if (outcome.Kind == OutcomeKind.NotJudged)
            return CaseVerdict.Fail(outcome.Describe());
        if (_file is null)
            return CaseVerdict.Fail($"malformed data file: {outcome.Message}");
        if (!_file.HasProgram)
            return CaseVerdict.Fail("the file has no program, so it tests nothing");
        if (!_file.HasExpectation)
            return CaseVerdict.Fail($"the file states no expectation (no '-- result' or '-- error'), so it tests nothing ({outcome.Describe()})");

        if (_file.Error is { } reference)
        {
            string theirs = $"reference: \"{reference}\"";
            return outcome.Kind switch
            {
                OutcomeKind.Rejected => CaseVerdict.Pass($"{outcome.Describe()} ({theirs})"),
                OutcomeKind.Ran => CaseVerdict.Fail($"expected a rejection ({theirs}), but the program ran: r0 = 0x{outcome.R0:x}"),
                _ => CaseVerdict.Fail($"expected a rejection ({theirs}), but the program was accepted and {outcome.Describe()}"),
            };
        }

        ulong expected = _file.Result!.Value;
        if (outcome.Kind != OutcomeKind.Ran)
            return CaseVerdict.Fail($"expected r0 = 0x{expected:x}, but {outcome.Describe()}");
        return outcome.R0 == expected
            ? CaseVerdict.Pass($"r0 = 0x{outcome.R0:x}")
            : CaseVerdict.Fail($"expected r0 = 0x{expected:x}, got 0x{outcome.R0:x}");
    }

    /// <summary>
    /// A self-test of a harness: it passes when our runtime rejects it or when the stated
    /// expectation is not met. An <c>unused-*</c> file must be rejected by the decoder itself.
    /// </summary>
    private CaseVerdict JudgeNegative(CaseOutcome outcome)
    {
        if (outcome.Kind == OutcomeKind.NotJudged)
            return CaseVerdict.Fail(outcome.Describe());

        string reference = _file?.Error is { Length: > 0 } error ? $" (reference: \"{error}\")" : "";
        if (MustFailDecoding)
        {
            return outcome is { Kind: OutcomeKind.Rejected, Stage: CaseStage.Decoder }
                ? CaseVerdict.Pass(outcome.Describe())
                : CaseVerdict.Fail($"a reserved field is set, so the decoder must reject the program, but {outcome.Describe()}");
        }

        if (outcome.Kind == OutcomeKind.Rejected)
            return CaseVerdict.Pass(outcome.Describe() + reference);

        var asWritten = JudgeAsWritten(outcome);
        return asWritten.Passed
            ? CaseVerdict.Fail($"the negative case passed as written: {asWritten.Reason}")
            : CaseVerdict.Pass($"expectation not met: {asWritten.Reason}");
    }
}
