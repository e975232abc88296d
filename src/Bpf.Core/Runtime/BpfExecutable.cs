using Bpf.Isa;

namespace Bpf.Runtime;

/// <summary>
/// A program an engine has prepared to run (interpreted or compiled). Safe to run from many
/// threads at once: each run gets its own <see cref="Invocation"/> and stack.
/// </summary>
public abstract class BpfExecutable
{
    private readonly MemoryRegion[] _mapRegions;
    private readonly Maps.BpfMap[] _arenas;

    /// <summary>Wraps a prepared program.</summary>
    protected BpfExecutable(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        Image = image;
        Options = options;
        // An arena's pages come and go after the program is prepared: its regions are read at each run.
        _arenas = options.Checked ? image.Maps.Where(m => m.ArenaBase != 0).ToArray() : [];
        _mapRegions = options.Checked ? image.Maps.Where(m => m.ArenaBase == 0).SelectMany(m => m.ValueRegions).Distinct().ToArray() : [];
    }

    /// <summary>The program with its maps and kfuncs.</summary>
    public ProgramImage Image { get; }

    /// <summary>The instructions the engine runs (<see cref="ProgramImage.ExecutableCode"/>).</summary>
    public Bytecode Bytecode => Image.ExecutableCode;

    /// <summary>The options it was prepared with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>The engine that prepared it.</summary>
    public abstract IBpfEngine Engine { get; }

    /// <summary>The name of the engine that prepared it (<c>interpreter</c>, <c>jit</c>, ...).</summary>
    public string EngineName => Engine.Name;

    /// <summary>
    /// Runs the program on raw memory, the convention of uBPF and the conformance suite: r1 points
    /// to <paramref name="memory"/> (the program may read and write it) and r2 is its length, both
    /// 0 when it is empty. In checked mode the memory is the only region besides the stack and the
    /// values of the program's maps that the program may touch; legacy packet loads read it too.
    /// Syscall programs get it as their argument block (<see cref="Contexts.SyscallContext"/>).
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public unsafe ulong Run(Span<byte> memory)
    {
        // A syscall program may reach any offset below 64 KiB of its block (see SyscallContext).
        if (Image.Type.Kind == BpfProgramKind.Syscall && memory.Length != Contexts.SyscallContext.Size)
            return Contexts.SyscallContext.Run(this, memory);
        fixed (byte* start = memory)
        {
            var invocation = Invocation.Rent(Options);
            try
            {
                invocation.AddRegion((nint)start, memory.Length, writable: true);
                invocation.PacketStart = (nint)start;
                invocation.PacketLength = memory.Length;
                return Enter((ulong)start, (ulong)memory.Length, 0, 0, 0, invocation);
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
    /// regions, packet and budget). For hosts and program types with contexts other than raw memory.
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    public ulong Run(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        try
        {
            return Enter(r1, r2, r3, r4, r5, invocation);
        }
        catch (PacketLoadAbortException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Calls function <paramref name="functionIndex"/> of the program (a callback of <c>bpf_loop</c>
    /// and friends) within a run; see <see cref="Invocation.CallFunction"/>.
    /// </summary>
    public abstract ulong CallFunction(int functionIndex, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);

    /// <summary>Runs the entry function with the given arguments.</summary>
    protected abstract ulong Execute(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);

    /// <summary>Runs the program as the target of a tail call: r1 is the caller's context, the invocation the caller's.</summary>
    internal ulong EnterFromTailCall(ulong context, Invocation invocation) => Enter(context, 0, 0, 0, 0, invocation);

    private ulong Enter(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        invocation.Program = this;
        foreach (var region in _mapRegions)
            invocation.AddRegion(region.Start, region.Length, region.Writable);
        foreach (var arena in _arenas)
        {
            foreach (var region in arena.ValueRegions)
                invocation.AddRegion(region.Start, region.Length, region.Writable);
        }
        return Execute(r1, r2, r3, r4, r5, invocation);
    }
}
