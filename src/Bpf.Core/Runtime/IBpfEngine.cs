namespace Bpf.Runtime;

/// <summary>A way to run programs: the reference interpreter, the JIT, later ahead-of-time assemblies.</summary>
public interface IBpfEngine
{
    /// <summary>The engine's name as the tools spell it (<c>interpreter</c>, <c>jit</c>).</summary>
    string Name { get; }

    /// <summary>Prepares a program to run: binds its helpers, maps and kfuncs and, for compiling engines, compiles it.</summary>
    /// <exception cref="BpfException">The program cannot run on this engine (an unknown helper, an unresolved reference).</exception>
    BpfExecutable Prepare(ProgramImage image, ExecutionOptions options);
}
