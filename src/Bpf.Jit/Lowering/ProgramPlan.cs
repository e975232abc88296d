using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Jit.Emit;
using Bpf.Runtime;

namespace Bpf.Jit.Lowering;

/// <summary>
/// Everything decided about a program before any IL is written: the helper each call binds to,
/// and the methods to generate. A BPF function becomes one method when its IL fits RyuJIT's
/// optimization budget (<see cref="ILMetrics.Budget"/>); a larger one becomes a driver plus region
/// methods, each under the budget, so that no generated method is compiled with MinOpts.
/// </summary>
public sealed class ProgramPlan
{
    /// <summary>Functions this short cannot exceed the budget, so they are not measured first.</summary>
    private const int AlwaysFitsSlots = 400;

    /// <summary>How much of the budget the first cut of regions may fill; measuring corrects the rest.</summary>
    private const double RegionFill = 0.7;

    private readonly MethodPlan[] _entries;
    private readonly List<MethodPlan>[] _regions;
    private readonly List<(int Source, int Target)>[] _jumps;
    private readonly bool[] _usesStack;
    private List<MethodPlan> _methods = [];

    private ProgramPlan(ProgramImage image, ExecutionOptions options)
    {
        Image = image;
        var bytecode = image.ExecutableCode;
        Bytecode = bytecode;
        Options = options;
        int count = bytecode.Functions.Count;
        _entries = new MethodPlan[count];
        _regions = new List<MethodPlan>[count];
        _jumps = new List<(int, int)>[count];
        _usesStack = new bool[count];
    }

    /// <summary>The program with its maps and kfuncs.</summary>
    public ProgramImage Image { get; }

    /// <summary>The program's instructions.</summary>
    public Bytecode Bytecode { get; }

    /// <summary>The options it is compiled with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>
    /// What the verifier proved about the instructions, when the program runs unchecked and the facts
    /// were proven for this very code (<see cref="ExecutionOptions.Facts"/>); otherwise null, and the
    /// lowering keeps every guard.
    /// </summary>
    public Verification.ProvenFacts? Facts => !Options.Checked && Options.Facts is { } facts && facts.AreFor(Image.Code) ? facts : null;

    /// <summary>Every method to generate; the program's entry is <see cref="Entry"/>.</summary>
    public IReadOnlyList<MethodPlan> Methods => _methods;

    /// <summary>False when splitting was turned off for diagnostics (<see cref="JitOptions.SplitLargeFunctions"/>).</summary>
    public bool SplitsLargeFunctions { get; private set; }

    /// <summary>The method that runs the program: the entry of its first function.</summary>
    public MethodPlan Entry => _entries[0];

    /// <summary>Plans the compilation of <paramref name="image"/>.</summary>
    /// <exception cref="UnresolvedReferenceException">A call names an unknown helper, or the program refers to maps or kfuncs nothing resolved.</exception>
    public static ProgramPlan Create(ProgramImage image, ExecutionOptions options, JitOptions? jitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        jitOptions ??= JitOptions.Default;
        var bytecode = image.ExecutableCode;
        var plan = new ProgramPlan(image, options) { References = ProgramReferences.Resolve(image, options) };
        plan.Analyze();
        for (int f = 0; f < bytecode.Functions.Count; f++)
            plan._entries[f] = new MethodPlan(MethodKind.Function, bytecode.Functions[f], bytecode.Functions[f].Start, bytecode.Functions[f].End, MethodName(bytecode.Functions[f], null));
        if (jitOptions.SplitLargeFunctions)
        {
            for (int f = 0; f < bytecode.Functions.Count; f++)
                plan.Split(bytecode.Functions[f]);
        }
        plan.SplitsLargeFunctions = jitOptions.SplitLargeFunctions;
        plan.Number();
        return plan;
    }

    /// <summary>The method that is called to run <paramref name="function"/>.</summary>
    public MethodPlan EntryOf(BpfFunction function) => _entries[function.Index];

    /// <summary>What each <c>lddw</c> loads and each call calls.</summary>
    public ProgramReferences References { get; private init; } = null!;

    /// <summary>True if the function uses r10, so its method needs a stack frame.</summary>
    public bool UsesStack(BpfFunction function) => _usesStack[function.Index];

    /// <summary>The region of a split function that holds slot <paramref name="slot"/>.</summary>
    public MethodPlan RegionOf(BpfFunction function, int slot)
    {
        var regions = _regions[function.Index];
        int lo = 0, hi = regions.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (regions[mid].Start <= slot)
                lo = mid;
            else
                hi = mid - 1;
        }

        return regions[lo];
    }

    /// <summary>The slots of <paramref name="method"/> that need a label: targets of jumps inside it, and its entries.</summary>
    public IEnumerable<int> JumpTargets(MethodPlan method)
    {
        var targets = new SortedSet<int>();
        foreach (var (source, target) in _jumps[method.Function.Index])
        {
            if (method.Contains(source) && method.Contains(target))
                targets.Add(target);
        }

        if (method.Kind == MethodKind.Region)
            targets.UnionWith(RegionEntries(method));
        return targets;
    }

    /// <summary>Where control can enter a region: its start, and slots other regions jump to.</summary>
    public IEnumerable<int> RegionEntries(MethodPlan region)
    {
        var entries = new SortedSet<int> { region.Start };
        foreach (var (source, target) in _jumps[region.Function.Index])
        {
            if (!region.Contains(source) && region.Contains(target))
                entries.Add(target);
        }

        return entries;
    }

    private static string MethodName(BpfFunction function, int? region) =>
        region is null ? $"bpf_{function.Name}" : $"bpf_{function.Name}_region{region}";

    private void Analyze()
    {
        foreach (var function in Bytecode.Functions)
        {
            var jumps = new List<(int, int)>();
            bool usesStack = false;
            for (int pc = function.Start; pc < function.End; pc++)
            {
                var info = Bytecode.InfoAt(pc);
                if (info is null)
                    continue;
                var instruction = Bytecode[pc];
                if (info.IsJump)
                    jumps.Add((pc, (int)info.TargetOf(instruction, pc)!.Value));
                var operands = info.Operands;
                if ((operands & InstructionFields.Dst) != 0 && instruction.Dst == Registers.FramePointer
                    || (operands & InstructionFields.Src) != 0 && instruction.Src == Registers.FramePointer)
                {
                    usesStack = true;
                }
            }

            _jumps[function.Index] = jumps;
            _usesStack[function.Index] = usesStack;
        }
    }

    private void Split(BpfFunction function)
    {
        if (function.Length <= AlwaysFitsSlots)
            return;

        var whole = _entries[function.Index];
        var meter = new CountingEmitter<NullEmitter>(new NullEmitter());
        var lowering = new MethodLowering<CountingEmitter<NullEmitter>>(meter, this, whole, meter.Metrics);
        lowering.Lower();
        if (meter.Metrics.FitsWithin(ILMetrics.Budget))
            return;

        var costs = lowering.SlotCosts!;
        var bounds = Partition(function, costs);
        while (true)
        {
            var regions = bounds.Select((b, k) => new MethodPlan(MethodKind.Region, function, b.Start, b.End, MethodName(function, k)) { RegionIndex = k }).ToList();
            _regions[function.Index] = regions;

            // Measure each region as it will be emitted; halve any that is over budget and try again.
            var over = regions.Where(region => !Measure(region).FitsWithin(ILMetrics.Budget)).ToList();
            if (over.Count == 0)
                break;
            foreach (var region in over)
            {
                int index = bounds.IndexOf((region.Start, region.End));
                int middle = SlotStartAtOrBefore(region.Start + region.Length / 2);
                if (middle <= region.Start)
                    throw new InvalidOperationException($"{region}: a single instruction exceeds the method budget");
                bounds[index] = (region.Start, middle);
                bounds.Insert(index + 1, (middle, region.End));
            }
        }

        var driver = new MethodPlan(MethodKind.FunctionDriver, function, function.Start, function.End, MethodName(function, null))
        {
            Regions = _regions[function.Index],
        };
        _entries[function.Index] = driver;
    }

    private ILMetrics Measure(MethodPlan method)
    {
        var meter = new CountingEmitter<NullEmitter>(new NullEmitter());
        new MethodLowering<CountingEmitter<NullEmitter>>(meter, this, method).Lower();
        return meter.Metrics;
    }

    private List<(int Start, int End)> Partition(BpfFunction function, SlotCost[] costs)
    {
        var bounds = new List<(int, int)>();
        int start = function.Start;
        var total = default(SlotCost);
        for (int pc = function.Start; pc < function.End; pc++)
        {
            if (Bytecode.InfoAt(pc) is null)
                continue;
            var cost = costs[pc - function.Start];
            if (pc > start && !(total + cost).FitsWithin(ILMetrics.Budget, RegionFill))
            {
                bounds.Add((start, pc));
                start = pc;
                total = default;
            }

            total += cost;
        }

        bounds.Add((start, function.End));
        return bounds;
    }

    private int SlotStartAtOrBefore(int slot) => Bytecode.InfoAt(slot) is null ? slot - 1 : slot;

    private void Number()
    {
        _methods = [];
        foreach (var entry in _entries)
        {
            entry.Id = _methods.Count;
            _methods.Add(entry);
            foreach (var region in entry.Regions)
            {
                region.Id = _methods.Count;
                _methods.Add(region);
            }
        }
    }
}
