using Bpf.Aot;
using Bpf.Cli.CommandLine;
using Bpf.Interpretation;
using Bpf.Jit;

namespace Bpf.Cli;

/// <summary>
/// The engines the tool knows: the only list of them. The first is the default of every command
/// that takes <c>--engine</c>; <c>--engine all</c> means all of them, in this order.
/// </summary>
internal static class Engines
{
    /// <summary>What <c>--engine</c> accepts for every engine at once.</summary>
    public const string AllName = "all";

    /// <summary>The engines in this build. Adding one is adding a line here.</summary>
    public static IReadOnlyList<EngineEntry> All { get; } =
    [
        new(JitEngine.Instance, (bytecode, options) => JitCompiler.DumpIL(bytecode, options)),
        new(InterpreterEngine.Instance),
        new(AotEngine.Instance),
    ];

    /// <summary>The engine commands use when none is named.</summary>
    public static EngineEntry Default => All[0];

    /// <summary>The names for help texts: <c>jit|interpreter|aot</c>.</summary>
    public static string Names => string.Join('|', All.Select(e => e.Name));

    /// <summary>The engine named <paramref name="name"/>, or the default when it is null.</summary>
    /// <exception cref="UsageException">No engine has that name.</exception>
    public static EngineEntry Find(string? name, string command)
    {
        if (name is null)
            return Default;
        return All.FirstOrDefault(e => e.Name == name)
            ?? throw new UsageException(name is "jit" or "aot"
                ? $"the {name} engine is not available in this build (available: {Names})"
                : $"unknown engine '{name}' (available: {Names})", command);
    }

    /// <summary>The engines <c>--engine</c> names: one, or every engine for <see cref="AllName"/>.</summary>
    public static IReadOnlyList<EngineEntry> Select(string? name, string command) =>
        name == AllName ? All : [Find(name, command)];

    /// <summary>The first engine that can print its IL.</summary>
    /// <exception cref="ToolUnavailableException">No engine in this build generates IL.</exception>
    public static EngineEntry WithIL() =>
        All.FirstOrDefault(e => e.DumpIL is not null)
            ?? throw new ToolUnavailableException("--il needs the jit engine, which is not available in this build");
}
