using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Cli;

/// <summary>An engine the tool can run programs on, and how to show the IL it generates if it generates any.</summary>
/// <param name="Engine">The engine.</param>
/// <param name="DumpIL">Prints the IL the engine generates for a program, or null for engines that generate none.</param>
internal sealed record EngineEntry(IBpfEngine Engine, Func<Bytecode, ExecutionOptions, string>? DumpIL = null)
{
    /// <summary>The engine's name as the tool spells it.</summary>
    public string Name => Engine.Name;
}
