namespace Bpf.Cli;

/// <summary>
/// The <c>bpfjit</c> entry point. A placeholder so that the solution builds (an Exe project needs a
/// Main); the commands replace it.
/// </summary>
internal static class Program
{
    private static int Main()
    {
        Console.Error.WriteLine("bpfjit: no commands are implemented yet");
        return 1;
    }
}
