using Bpf.Isa;

namespace Bpf.Jit.Lowering;

/// <summary>One method the lowering will generate, known to every back end before any body is emitted.</summary>
public sealed class MethodPlan
{
    internal MethodPlan(MethodKind kind, BpfFunction function, int start, int end, string name)
    {
        Kind = kind;
        Function = function;
        Start = start;
        End = end;
        Name = name;
    }

    /// <summary>The method's position in <see cref="ProgramPlan.Methods"/>.</summary>
    public int Id { get; internal set; }

    /// <summary>What the method is for.</summary>
    public MethodKind Kind { get; }

    /// <summary>The BPF function the method implements all or part of.</summary>
    public BpfFunction Function { get; }

    /// <summary>The first instruction slot the method contains (a region's; the function's otherwise).</summary>
    public int Start { get; }

    /// <summary>One past the last slot the method contains.</summary>
    public int End { get; }

    /// <summary>The number of slots the method contains.</summary>
    public int Length => End - Start;

    /// <summary>The method's name, unique within the program.</summary>
    public string Name { get; }

    /// <summary>For a driver, its regions in order; empty otherwise.</summary>
    public IReadOnlyList<MethodPlan> Regions { get; internal init; } = [];

    /// <summary>For a region, its position among its driver's regions.</summary>
    public int RegionIndex { get; internal init; }

    /// <summary>The parameter types of the method.</summary>
    public Type[] ParameterTypes => MethodSignatures.ParametersOf(Kind);

    /// <summary>The return type of the method.</summary>
    public Type ReturnType => MethodSignatures.ReturnTypeOf(Kind);

    /// <summary>True if slot <paramref name="index"/> belongs to this method.</summary>
    public bool Contains(int index) => index >= Start && index < End;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}, [{Start}, {End}))";
}
