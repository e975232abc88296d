using System.Runtime.CompilerServices;
using Bpf.Interpretation;
using Bpf.Jit;

// In the runtime's namespace, so that hosts referencing Bpf.Jit find Compile() next to BpfObject.
namespace Bpf.Runtime;

/// <summary>
/// The object API's entry points that pick the engine: the JIT where the runtime compiles dynamic
/// code, the interpreter where it cannot (NativeAOT). Bpf.Core cannot reference the JIT, so
/// <see cref="BpfProgram.Prepare"/> takes the engine; these extensions choose it for the host.
/// </summary>
public static class BpfProgramCompilation
{
    /// <summary>
    /// The engine <see cref="Compile"/> uses: <see cref="JitEngine.Instance"/> when dynamic code is
    /// compiled (<see cref="RuntimeFeature.IsDynamicCodeCompiled"/>), else <see cref="InterpreterEngine.Instance"/>.
    /// </summary>
    public static IBpfEngine DefaultEngine =>
        RuntimeFeature.IsDynamicCodeCompiled ? JitEngine.Instance : InterpreterEngine.Instance;

    /// <summary>
    /// Compiles <paramref name="program"/> on <see cref="DefaultEngine"/>: verified first unless
    /// <paramref name="options"/> (or the object's <see cref="LoadOptions.Execution"/>) opt into
    /// checked mode; see <see cref="BpfProgram.Prepare"/>.
    /// </summary>
    /// <returns>The program, ready to run from many threads: <see cref="BpfExecutable.Run(Span{byte})"/>,
    /// <see cref="BpfExecutable.Run{TContext}(ref TContext)"/>, <see cref="BpfExecutable.RunXdp"/>,
    /// <see cref="BpfExecutable.RunSocketBuffer"/>.</returns>
    /// <exception cref="Verification.VerificationException">The program is to be verified and the verifier rejects it.</exception>
    /// <exception cref="UnresolvedReferenceException">A helper the program calls is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public static BpfExecutable Compile(this BpfProgram program, ExecutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Prepare(DefaultEngine, options);
    }

    /// <summary>
    /// Compiles every program of <paramref name="obj"/> (see <see cref="Compile"/>), after the host
    /// set its configuration (the first compilation freezes <c>.rodata</c>).
    /// </summary>
    /// <returns>The compiled programs by name.</returns>
    /// <exception cref="Verification.VerificationException">A program is to be verified and the verifier rejects it.</exception>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public static IReadOnlyDictionary<string, BpfExecutable> CompileAll(this BpfObject obj, ExecutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.ProgramList.ToDictionary(p => p.Name, p => p.Compile(options), StringComparer.Ordinal);
    }
}
