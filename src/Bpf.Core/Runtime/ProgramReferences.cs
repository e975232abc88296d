using Bpf.Isa;
using Bpf.Maps;

namespace Bpf.Runtime;

/// <summary>
/// What a program's instructions refer to, resolved once for every engine: the value each
/// <c>lddw</c> loads (a constant, a map's handle, the address of a map's value, a function's
/// handle) and what each <c>call</c> calls (a helper or a kfunc). Engines share this so that they
/// cannot disagree on what a reference means.
/// </summary>
public sealed class ProgramReferences
{
    /// <summary>Helper 12, <c>bpf_tail_call</c>.</summary>
    public const int TailCallHelper = (int)LinuxHelper.TailCall;

    private readonly Dictionary<int, ulong> _immediates = new();
    private readonly Dictionary<int, BoundCall> _calls = new();
    private readonly Dictionary<int, BpfMap> _mapLoads = new();
    private readonly Dictionary<int, Aot.BoundAddress> _boundAddresses = new();

    private ProgramReferences()
    {
    }

    /// <summary>
    /// The upper 32 bits of the program's arena addresses (<c>addr_space_cast</c> turns a 32-bit
    /// arena offset into a pointer with them), or 0 when the program has no arena.
    /// </summary>
    public ulong ArenaHigh { get; private set; }

    /// <summary>Resolves every reference of <paramref name="image"/>.</summary>
    /// <exception cref="UnresolvedReferenceException">A reference names nothing: an unregistered helper, a map index out of range, a map without direct value access...</exception>
    public static ProgramReferences Resolve(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        var arenas = image.Maps.Where(m => m.ArenaBase != 0).ToList();
        var references = new ProgramReferences { ArenaHigh = arenas.Count > 0 ? arenas[0].ArenaBase & 0xFFFF_FFFF_0000_0000 : 0 };
        var code = image.ExecutableCode;
        for (int pc = 0; pc < code.Length; pc++)
        {
            var info = code.InfoAt(pc);
            if (info is null)
                continue;
            var instruction = code[pc];
            switch (info.Operation)
            {
                case Operation.LoadImm64:
                    references._immediates[pc] = ResolveImmediate(image, pc, info);
                    if (info.PseudoSource is LoadImm64Source.MapFd or LoadImm64Source.MapIndex)
                    {
                        references._mapLoads[pc] = image.Maps[instruction.Immediate];
                        references._boundAddresses[pc] = Aot.BoundAddress.MapHandle(instruction.Immediate);
                    }
                    else if (info.PseudoSource is LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue)
                    {
                        references._boundAddresses[pc] = Aot.BoundAddress.MapValue(instruction.Immediate, code[pc + 1].Immediate);
                    }

                    break;
                case Operation.Call:
                {
                    var helper = options.Helpers.Find(instruction.Immediate)
                        ?? throw new UnresolvedReferenceException(pc,
                            $"call to helper {instruction.Immediate}{(LinuxHelpers.NameOf(instruction.Immediate) is { } name ? $" ({name})" : "")}, which is not registered");
                    references._calls[pc] = new BoundCall(helper.Name, helper.Function, instruction.Immediate == TailCallHelper);
                    break;
                }

                case Operation.AddressSpaceCast:
                    if (arenas.Count != 1)
                        throw new UnresolvedReferenceException(pc, arenas.Count == 0
                            ? "addr_space_cast needs the program to use an arena map, and it uses none"
                            : $"addr_space_cast is ambiguous: the program uses {arenas.Count} arenas, Linux allows one");
                    break;

                case Operation.CallKfunc:
                {
                    if ((uint)instruction.Immediate >= (uint)image.Kfuncs.Count)
                        throw new UnresolvedReferenceException(pc, $"call to kfunc {instruction.Immediate}, but the program binds {image.Kfuncs.Count} kfuncs");
                    var kfunc = image.Kfuncs[instruction.Immediate];
                    references._calls[pc] = new BoundCall(kfunc.Name, kfunc.Function, IsTailCall: false);
                    break;
                }
            }
        }

        return references;
    }

    /// <summary>The 64-bit value the <c>lddw</c> at <paramref name="pc"/> loads.</summary>
    public ulong Immediate64At(int pc) => _immediates[pc];

    /// <summary>The map the <c>lddw</c> at <paramref name="pc"/> loads the handle of, or null when it loads something else.</summary>
    public BpfMap? MapLoadedAt(int pc) => _mapLoads.GetValueOrDefault(pc);

    /// <summary>
    /// What the value the <c>lddw</c> at <paramref name="pc"/> loads is, when it is a run-time
    /// address (a map's handle or the address of a map's value) rather than a constant; otherwise null.
    /// </summary>
    public Aot.BoundAddress? BoundAddressAt(int pc) => _boundAddresses.TryGetValue(pc, out var address) ? address : null;

    /// <summary>What the <c>call</c> (helper or kfunc) at <paramref name="pc"/> calls.</summary>
    public BoundCall CallAt(int pc) => _calls[pc];

    private static ulong ResolveImmediate(ProgramImage image, int pc, OpcodeInfo info)
    {
        var code = image.ExecutableCode;
        var first = code[pc];
        var second = code[pc + 1];
        switch (info.PseudoSource)
        {
            case LoadImm64Source.Immediate:
                return code.Immediate64At(pc);
            case LoadImm64Source.MapFd or LoadImm64Source.MapIndex:
                return MapAt(image, pc, first.Immediate).Handle;
            case LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue:
            {
                var map = MapAt(image, pc, first.Immediate);
                int offset = second.Immediate;
                if (!map.TryGetDirectValueAddress(out nint address))
                    throw new UnresolvedReferenceException(pc, $"lddw of a value of map {map.Name} ({map.Type}, {map.MaxEntries} entries): only single-element arrays allow direct value access");
                if ((uint)offset >= (uint)map.ValueSize)
                    throw new UnresolvedReferenceException(pc, $"lddw of offset {offset} into map {map.Name}, whose value is {map.ValueSize} bytes");
                return (ulong)address + (uint)offset;
            }

            case LoadImm64Source.Function:
                return FunctionHandles.Encode(code.FunctionStartingAt((int)info.TargetOf(first, pc)!.Value)!.Index);
            default:
                throw new UnresolvedReferenceException(pc, $"lddw of a {info.PseudoSource} reference, which this runtime cannot resolve (kernel BTF ids do not exist in user space)");
        }
    }

    private static BpfMap MapAt(ProgramImage image, int pc, int index)
    {
        if ((uint)index >= (uint)image.Maps.Count)
            throw new UnresolvedReferenceException(pc, $"lddw of map {index}, but the program binds {image.Maps.Count} maps");
        return image.Maps[index];
    }
}
