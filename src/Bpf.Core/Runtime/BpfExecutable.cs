using Bpf.Isa;

namespace Bpf.Runtime;

/// <summary>
/// A program an engine has prepared to run (interpreted or compiled). Safe to run from many
/// threads at once: each run gets its own <see cref="Invocation"/> and stack.
/// </summary>
public abstract class BpfExecutable
{
    /// <summary>Wraps a prepared program.</summary>
    protected BpfExecutable(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        Image = image;
        Options = options;
    }

    /// <summary>The program with its maps and kfuncs.</summary>
    public ProgramImage Image { get; }

    /// <summary>The program's instructions.</summary>
    public Bytecode Bytecode => Image.Code;

    /// <summary>The options it was prepared with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>The name of the engine that prepared it (<c>interpreter</c>, <c>jit</c>, ...).</summary>
    public abstract string EngineName { get; }

    /// <summary>
    /// Runs the program on raw memory, the convention of uBPF and the conformance suite: r1 points
    /// to <paramref name="memory"/> (the program may read and write it) and r2 is its length, both
    /// 0 when it is empty. In checked mode the memory is the only region besides the stack that
    /// the program may touch; legacy packet loads read it too.
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public unsafe ulong Run(Span<byte> memory)
    {
        fixed (byte* start = memory)
        {
            var invocation = Invocation.Rent(Options);
            try
            {
                invocation.AddRegion((nint)start, memory.Length, writable: true);
                invocation.PacketStart = (nint)start;
                invocation.PacketLength = memory.Length;
                return Execute((ulong)start, (ulong)memory.Length, 0, 0, 0, invocation);
            }
            catch (PacketLoadAbortException)
            {
                return 0;
            }
            finally
            {
                Invocation.Return(invocation);
            }
        }
    }

    /// <summary>
    /// Runs the program with r1-r5 set by the caller and an invocation the caller prepared (its
    /// regions, packet and budget). For hosts that pass contexts other than raw memory.
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    public ulong Run(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        try
        {
            return Execute(r1, r2, r3, r4, r5, invocation);
        }
        catch (PacketLoadAbortException)
        {
            return 0;
        }
    }

    /// <summary>Runs the entry function with the given arguments.</summary>
    protected abstract ulong Execute(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);
}
