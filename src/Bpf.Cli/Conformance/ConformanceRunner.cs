using Bpf.Cli.CommandLine;
using Bpf.Runtime;

namespace Bpf.Cli.Conformance;

/// <summary>Runs data files on engines and reports one line per file and engine, then the totals.</summary>
internal sealed class ConformanceRunner
{
    /// <summary>
    /// The instruction budget of a conformance run: far more than any case of the suite needs
    /// (the longest runs a few hundred instructions), small enough that a runaway program is
    /// stopped in well under a second.
    /// </summary>
    public const long DefaultBudget = 10_000_000;

    private readonly IReadOnlyList<EngineEntry> _engines;
    private readonly ExecutionOptions _options;

    public ConformanceRunner(IReadOnlyList<EngineEntry> engines, long budget)
    {
        _engines = engines;

        // Checked mode always: the suite's programs are unverified bytecode.
        _options = new ExecutionOptions { Checked = true, InstructionBudget = budget };
    }

    public int Passed { get; private set; }

    public int Failed { get; private set; }

    /// <summary>The <c>.data</c> files named by <paramref name="paths"/>: files as given, directories searched recursively, in name order.</summary>
    /// <exception cref="UsageException">A path does not exist, or a directory holds no data file.</exception>
    public static List<string> FindFiles(IEnumerable<string> paths, string command)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*.data", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                    throw new UsageException($"{path}: the directory holds no .data files", command);
                files.AddRange(found);
            }
            else
            {
                throw new UsageException($"{path}: no such file or directory", command);
            }
        }

        return files;
    }

    /// <summary>Runs every file on every engine, writing a line for each (or for each failure).</summary>
    public void Run(IEnumerable<string> files, TextWriter output, bool failuresOnly = false)
    {
        foreach (string path in files)
        {
            var testCase = ConformanceCase.Load(path);
            foreach (var engine in _engines)
            {
                var verdict = testCase.Judge(testCase.Run(engine, _options));
                if (verdict.Passed)
                    Passed++;
                else
                    Failed++;
                if (!verdict.Passed || !failuresOnly)
                    output.WriteLine($"{(verdict.Passed ? "PASS" : "FAIL")} [{engine.Name}] {path}: {OneLine(verdict.Reason)}");
            }
        }
    }

    // Messages may quote multi-line text (an error section); a report line must stay one line.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>The last line of a run: exactly <c>N passed, N failed</c>.</summary>
    public string Summary => $"{Passed} passed, {Failed} failed";
}
