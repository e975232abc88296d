using Bpf.Jit.Emit;

namespace Bpf.Jit.Lowering;

/// <summary>What the IL of one instruction slot counts against RyuJIT's limits.</summary>
/// <param name="CodeSize">IL bytes.</param>
/// <param name="Instructions">IL instructions.</param>
/// <param name="BasicBlocks">Basic blocks started.</param>
/// <param name="LocalReferences">Local and argument references.</param>
public readonly record struct SlotCost(int CodeSize, int Instructions, int BasicBlocks, int LocalReferences)
{
    /// <summary>The running figures of a meter.</summary>
    public static SlotCost Of(ILMetrics metrics) =>
        new(metrics.CodeSize, metrics.Instructions, metrics.BasicBlocks, metrics.LocalReferences);

    /// <summary>The sum of two costs.</summary>
    public static SlotCost operator +(SlotCost a, SlotCost b) =>
        new(a.CodeSize + b.CodeSize, a.Instructions + b.Instructions, a.BasicBlocks + b.BasicBlocks, a.LocalReferences + b.LocalReferences);

    /// <summary>The difference of two costs.</summary>
    public static SlotCost operator -(SlotCost a, SlotCost b) =>
        new(a.CodeSize - b.CodeSize, a.Instructions - b.Instructions, a.BasicBlocks - b.BasicBlocks, a.LocalReferences - b.LocalReferences);

    /// <summary>True if every figure is within <paramref name="fraction"/> of the budget's.</summary>
    public bool FitsWithin(ILMetrics budget, double fraction) =>
        CodeSize <= budget.CodeSize * fraction && Instructions <= budget.Instructions * fraction
        && BasicBlocks <= budget.BasicBlocks * fraction && LocalReferences <= budget.LocalReferences * fraction;
}
