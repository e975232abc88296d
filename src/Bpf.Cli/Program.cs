namespace Bpf.Cli;

/// <summary>The process entry point of <c>bpfjit</c>.</summary>
internal static class Program
{
    private static int Main(string[] args) => BpfJitTool.Run(args);
}
