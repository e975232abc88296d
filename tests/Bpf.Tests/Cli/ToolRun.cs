using Bpf.Cli;

namespace Bpf.Tests.Cli;

/// <summary>The result of running the tool: its exit code and what it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs <c>bpfjit</c> in process with the given standard input.</summary>
    public static ToolRun InvokeWithInput(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = BpfJitTool.Run(args, new StringReader(stdin), stdout, stderr);
        return new ToolRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>bpfjit</c> in process with empty standard input.</summary>
    public static ToolRun Invoke(params string[] args) => InvokeWithInput("", args);

    /// <summary>The lines of standard output.</summary>
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}
