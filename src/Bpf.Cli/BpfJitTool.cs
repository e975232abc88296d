using System.Reflection;
using System.Text;
using Bpf.Cli.CommandLine;
using Bpf.Cli.Commands;

namespace Bpf.Cli;

/// <summary>
/// The <c>bpfjit</c> tool: finds the command, parses its arguments, runs it, and turns every
/// error into a message and an exit code. Nothing escapes as a stack trace: errors the runtime
/// means (<see cref="BpfException"/>) and I/O errors are reported plainly, and anything else
/// is reported in one line as a bug.
/// </summary>
internal static class BpfJitTool
{
    /// <summary>The commands, in the order help lists them.</summary>
    public static IReadOnlyList<Command> Commands { get; } =
    [
        new RunCommand(),
        new InspectCommand(),
        new VerifyCommand(),
        new AotCommand(),
        new AsmCommand(),
        new DisasmCommand(),
        new ConformanceCommand(),
        new PluginCommand(),
    ];

    /// <summary>Runs the tool with the process's console.</summary>
    public static int Run(string[] args) => Run(args, new ToolConsole(Console.In, Console.Out, Console.Error));

    /// <summary>Runs the tool on the given streams and returns the exit code.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        Run(args, new ToolConsole(stdin, stdout, stderr));

    private static int Run(string[] args, ToolConsole console)
    {
        var arguments = PlaceCommandFirst(args);
        if (arguments.Count == 0)
        {
            console.Error.Write(Help());
            return ExitCodes.Usage;
        }

        string name = arguments[0];
        switch (name)
        {
            case "-h" or "--help" or "help" when arguments.Count == 1:
                console.Out.Write(Help());
                return ExitCodes.Success;
            case "help":
                return Run(["--help", arguments[1]], console);
            case "--version":
                console.Out.WriteLine($"bpfjit {Version}");
                return ExitCodes.Success;
        }

        if (name == "--help" && arguments.Count == 2)
            name = arguments[1];

        var command = Commands.FirstOrDefault(c => c.Spec.Name == name);
        if (command is null)
        {
            console.Error.WriteLine(name.StartsWith('-')
                ? $"bpfjit: unknown option '{name}'; a command comes first"
                : $"bpfjit: unknown command '{name}'");
            console.Error.WriteLine("Run 'bpfjit --help' for the list of commands.");
            return ExitCodes.Usage;
        }

        var errors = command.ErrorsToStandardOutput ? console.Out : console.Error;
        try
        {
            var rest = arguments[0] == "--help" ? ["--help"] : arguments.Skip(1);
            if (command is PluginCommand)
                rest = PluginCommand.NormalizeArguments(rest);
            var parsed = ArgumentParser.Parse(command.Spec, rest.ToList());
            if (parsed.HelpRequested)
            {
                console.Out.Write(command.Spec.Help());
                return ExitCodes.Success;
            }

            return command.Execute(parsed, console);
        }
        catch (UsageException e)
        {
            errors.WriteLine($"bpfjit {command.Spec.Name}: {e.Message}");
            errors.WriteLine($"Run 'bpfjit {e.Command ?? command.Spec.Name} --help' for usage.");
            return ExitCodes.Usage;
        }
        catch (BpfException e)
        {
            errors.WriteLine($"bpfjit {command.Spec.Name}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"bpfjit {command.Spec.Name}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            errors.WriteLine($"bpfjit {command.Spec.Name}: internal error: {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" ")} (this is a bug)");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// The conformance runner passes the memory before the plugin options, so with
    /// <c>--plugin_options "plugin ..."</c> the command arrives second: <c>bpfjit MEMORY plugin ...</c>.
    /// </summary>
    private static List<string> PlaceCommandFirst(string[] args)
    {
        var list = args.ToList();
        if (list.Count >= 2 && list[1] == "plugin" && list[0] != "help" && !Commands.Any(c => c.Spec.Name == list[0]) && !list[0].StartsWith('-'))
            (list[0], list[1]) = (list[1], list[0]);
        return list;
    }

    private static string Version =>
        typeof(BpfJitTool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The tool's help text.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("bpfjit: a userspace eBPF runtime for .NET whose core is a BPF-to-IL JIT.");
        text.AppendLine();
        text.AppendLine("Usage: bpfjit COMMAND [arguments] [options]");
        text.AppendLine();
        text.AppendLine("Commands:");
        int width = Commands.Max(c => c.Spec.Name.Length) + 2;
        foreach (var command in Commands)
            text.Append("  ").Append(command.Spec.Name.PadRight(width)).AppendLine(command.Spec.Summary);
        text.AppendLine();
        text.AppendLine($"Engines: {string.Join(", ", Engines.All.Select(e => e.Name))} (default {Engines.Default.Name}).");
        text.AppendLine("Run 'bpfjit COMMAND --help' for a command's arguments and options.");
        return text.ToString();
    }
}
