using System.Reflection.Emit;

namespace Bpf.Jit.Emit;

/// <summary>
/// The figures RyuJIT uses to decide whether to optimize a method. Retail RyuJIT silently
/// compiles a method with MinOpts (almost no optimization) when it exceeds 60,000 IL bytes,
/// 20,000 IL instructions, 2,000 basic blocks, 2,000 locals or 8,000 local-variable references
/// (every ldloc/stloc/ldarg/starg and address form). The lowering keeps every method below
/// <see cref="Budget"/>, which leaves a margin under those limits.
/// </summary>
public sealed class ILMetrics
{
    /// <summary>RyuJIT's limits (<c>DEFAULT_MIN_OPTS_*</c>): a method above any of them is compiled with MinOpts.</summary>
    public static readonly ILMetrics RyuJitLimits = new() { CodeSize = 60_000, Instructions = 20_000, BasicBlocks = 2_000, Locals = 2_000, LocalReferences = 8_000 };

    /// <summary>What the lowering allows itself per method: the limits less a margin for the JIT's own temporaries.</summary>
    public static readonly ILMetrics Budget = new() { CodeSize = 50_000, Instructions = 16_000, BasicBlocks = 1_600, Locals = 1_000, LocalReferences = 6_500 };

    /// <summary>IL bytes.</summary>
    public int CodeSize { get; set; }

    /// <summary>IL instructions (prefixes included).</summary>
    public int Instructions { get; set; }

    /// <summary>
    /// An upper bound on RyuJIT's basic blocks: one to start, one per marked label, one after
    /// every branch, switch, return or throw.
    /// </summary>
    public int BasicBlocks { get; set; } = 1;

    /// <summary>Declared locals (arguments count too, but the lowering's methods have at most six).</summary>
    public int Locals { get; set; }

    /// <summary>References to locals and arguments.</summary>
    public int LocalReferences { get; set; }

    /// <summary>True if every figure is at or below the same figure of <paramref name="limit"/>.</summary>
    public bool FitsWithin(ILMetrics limit) =>
        CodeSize <= limit.CodeSize && Instructions <= limit.Instructions && BasicBlocks <= limit.BasicBlocks
        && Locals <= limit.Locals && LocalReferences <= limit.LocalReferences;

    /// <summary>A copy.</summary>
    public ILMetrics Clone() => (ILMetrics)MemberwiseClone();

    /// <summary>Counts one instruction.</summary>
    internal void Count(OpCode opcode, int switchTargets = 0)
    {
        Instructions++;
        CodeSize += opcode.Size + OperandSize(opcode, switchTargets);
        if (IsLocalReference(opcode))
            LocalReferences++;
        if (opcode.FlowControl is FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return or FlowControl.Throw)
            BasicBlocks++;
    }

    private static int OperandSize(OpCode opcode, int switchTargets) => opcode.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * switchTargets,
        _ => 4,
    };

    private static bool IsLocalReference(OpCode opcode)
    {
        short v = opcode.Value;
        return v == OpCodes.Ldloc.Value || v == OpCodes.Ldloc_S.Value || v == OpCodes.Ldloc_0.Value || v == OpCodes.Ldloc_1.Value
            || v == OpCodes.Ldloc_2.Value || v == OpCodes.Ldloc_3.Value || v == OpCodes.Stloc.Value || v == OpCodes.Stloc_S.Value
            || v == OpCodes.Stloc_0.Value || v == OpCodes.Stloc_1.Value || v == OpCodes.Stloc_2.Value || v == OpCodes.Stloc_3.Value
            || v == OpCodes.Ldloca.Value || v == OpCodes.Ldloca_S.Value
            || v == OpCodes.Ldarg.Value || v == OpCodes.Ldarg_S.Value || v == OpCodes.Ldarg_0.Value || v == OpCodes.Ldarg_1.Value
            || v == OpCodes.Ldarg_2.Value || v == OpCodes.Ldarg_3.Value || v == OpCodes.Starg.Value || v == OpCodes.Starg_S.Value
            || v == OpCodes.Ldarga.Value || v == OpCodes.Ldarga_S.Value;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{CodeSize} IL bytes, {Instructions} instructions, {BasicBlocks} blocks, {Locals} locals, {LocalReferences} local references";
}
