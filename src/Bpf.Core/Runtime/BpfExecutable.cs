using Bpf.Isa;
using Bpf.Runtime.Contexts;

namespace Bpf.Runtime;

/// <summary>
/// A program an engine has prepared to run (interpreted or compiled). Safe to run from many
/// threads at once: each run gets its own <see cref="Invocation"/> and stack.
/// </summary>
/// <remarks>
/// A prepared program keeps the memory of the maps it refers to alive until it is collected, so that
/// disposing a map (or the object it belongs to) while a run is going on never frees memory under the
/// program. A program of an object refuses to start a run once the object is disposed.
/// </remarks>
public abstract class BpfExecutable
{
    private readonly MemoryRegion[] _mapRegions;
    private readonly Maps.BpfMap[] _arenas;
    private readonly Maps.BpfMap[] _referencedMaps;
    private readonly BpfObject? _owner;
    // The least memory Run(Span) accepts: what the verifier assumed of the context without checked
    // mode (more than any span holds for a packet context, which raw memory cannot stand for).
    private readonly long _minimumMemory;

    /// <summary>
    /// Wraps a prepared program. With <see cref="ProgramSafety.Verified"/> the image must pass the
    /// verifier (engines call this before or after compiling; the verdict is kept on the image).
    /// </summary>
    /// <exception cref="Verification.VerificationException">Verified mode was asked for and the verifier rejects the program.</exception>
    /// <exception cref="ObjectDisposedException">A map of the program, or the object it belongs to, has been disposed and freed.</exception>
    protected BpfExecutable(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        GC.SuppressFinalize(this); // nothing to release until the references are taken
        image.Owner?.ThrowIfDisposed();
        if (options.Safety == ProgramSafety.Verified)
            image.EnsureVerified(options.VerifierPolicy);
        Image = image;
        Options = options;
        _owner = image.Owner;
        _minimumMemory = options.Checked || image.Type.Context is not { } layout ? 0
            : layout.HasPointerFields ? int.MaxValue + 1L : layout.Size;
        _referencedMaps = ReferenceMaps(image.Maps);
        if (_referencedMaps.Length > 0)
            GC.ReRegisterForFinalize(this);
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

    /// <summary>The program's name.</summary>
    public string Name => Image.Name;

    /// <summary>Releases the maps' memory the program kept alive (freed if the maps were disposed meanwhile).</summary>
    ~BpfExecutable()
    {
        foreach (var map in _referencedMaps)
            map.ReleaseReference();
    }

    /// <summary>
    /// Runs a program whose context is a structure (<see cref="ProgramType.Struct"/>, or a raw-memory
    /// program given one value): r1 points to <paramref name="context"/>, which the program reads and
    /// writes in place (see <see cref="StructContext.Run"/>).
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    /// <exception cref="InvalidOperationException">The program's context is a packet (XDP, socket, tc): use <see cref="RunXdp"/> or <see cref="RunSocketBuffer"/>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TContext"/> is smaller than the program type's context.</exception>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public ulong Run<TContext>(ref TContext context)
        where TContext : unmanaged
    {
        if (Image.Type.Context is { HasPointerFields: true } layout)
            throw new InvalidOperationException($"program {Name} sees a {layout.Name}: run it on a packet ({nameof(RunXdp)} or {nameof(RunSocketBuffer)})");
        return StructContext.Run(this, ref context);
    }

    /// <summary>
    /// Runs an XDP program on a copy of <paramref name="packet"/> (see <see cref="XdpContext.Run"/>).
    /// </summary>
    /// <returns>The action, r0 and the packet as the program left it.</returns>
    /// <exception cref="InvalidOperationException">The program is not an XDP program.</exception>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public XdpResult RunXdp(ReadOnlySpan<byte> packet, XdpMetadata? metadata = null)
    {
        if (Image.Type.Kind != BpfProgramKind.Xdp)
            throw new InvalidOperationException($"program {Name} is a {Image.Type.Name} program, not an XDP program");
        return XdpContext.Run(this, packet, metadata);
    }

    /// <summary>
    /// Runs a socket filter, tc or cgroup skb program on a copy of <paramref name="packet"/>
    /// (see <see cref="SocketBufferContext.Run"/>).
    /// </summary>
    /// <returns>r0, the packet after the run and the fields the program may set.</returns>
    /// <exception cref="InvalidOperationException">The program's context is not a <c>__sk_buff</c>.</exception>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public SocketBufferResult RunSocketBuffer(ReadOnlySpan<byte> packet, SocketBufferMetadata? metadata = null)
    {
        var layout = Image.Type.Context;
        if (layout != SocketBufferContext.SocketFilterLayout && layout != SocketBufferContext.TcLayout)
            throw new InvalidOperationException($"program {Name} is a {Image.Type.Name} program, whose context is not a __sk_buff");
        return SocketBufferContext.Run(this, packet, metadata);
    }

    /// <summary>
    /// Runs the program on raw memory, the convention of uBPF and the conformance suite: r1 points
    /// to <paramref name="memory"/> (the program may read and write it) and r2 is its length, both
    /// 0 when it is empty. In checked mode the memory is the only region besides the stack and the
    /// values of the program's maps that the program may touch; legacy packet loads read it too.
    /// Syscall programs get it as their argument block (<see cref="Contexts.SyscallContext"/>).
    /// </summary>
    /// <returns>r0 when the program exits.</returns>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    /// <exception cref="InvalidOperationException">
    /// Without checked mode, the program's context is a packet (XDP, socket, tc: use <see cref="RunXdp"/>
    /// or <see cref="RunSocketBuffer"/>) or a structure larger than <paramref name="memory"/>: what
    /// the verifier proved would not hold.
    /// </exception>
    public unsafe ulong Run(Span<byte> memory)
    {
        // A syscall program may reach any offset below 64 KiB of its block (see SyscallContext).
        if (Image.Type.Kind == BpfProgramKind.Syscall && memory.Length != Contexts.SyscallContext.Size)
            return Contexts.SyscallContext.Run(this, memory);
        if (memory.Length < _minimumMemory)
            ThrowRawMemoryRefused(memory.Length);

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

    private void ThrowRawMemoryRefused(int length)
    {
        var layout = Image.Type.Context!;
        throw new InvalidOperationException(layout.HasPointerFields
            ? $"program {Name} sees a {layout.Name}: run it on a packet ({nameof(RunXdp)} or {nameof(RunSocketBuffer)}), not on raw memory"
            : $"program {Name} sees a {layout.Name} of {layout.Size} bytes; {length} bytes of memory are too few");
    }

    /// <summary>Takes a reference on each map's memory; on failure, gives back those taken.</summary>
    private static Maps.BpfMap[] ReferenceMaps(IReadOnlyList<Maps.BpfMap> maps)
    {
        var distinct = maps.Distinct().ToArray();
        int taken = 0;
        try
        {
            for (; taken < distinct.Length; taken++)
                distinct[taken].AddReference();
        }
        catch
        {
            for (int i = 0; i < taken; i++)
                distinct[i].ReleaseReference();
            throw;
        }

        return distinct;
    }

    private ulong Enter(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (_owner is { IsDisposed: true })
            throw new ObjectDisposedException(_owner.Name, $"program {Name} belongs to object {_owner.Name}, which has been disposed");
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
