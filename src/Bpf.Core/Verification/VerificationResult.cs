namespace Bpf.Verification;

/// <summary>The verdict on one program and what verifying it took.</summary>
/// <param name="Diagnostics">Why the program was rejected; empty when it was accepted.</param>
/// <param name="InstructionsProcessed">Instructions the verifier interpreted, over all paths (the kernel's "processed" count).</param>
/// <param name="StatesStored">States kept at prune points.</param>
/// <param name="StatesPruned">Paths cut short because an explored state covered them.</param>
/// <param name="Log">The per-instruction log when it was asked for, else null.</param>
public sealed record VerificationResult(
    IReadOnlyList<VerificationDiagnostic> Diagnostics,
    long InstructionsProcessed,
    int StatesStored,
    int StatesPruned,
    IReadOnlyList<string>? Log)
{
    /// <summary>
    /// The instructions that load or store through arena pointers. Linux lets them use any offset and
    /// absorbs faults on pages not allocated; this runtime cannot, so a program with such accesses runs
    /// with run-time checks (<see cref="Runtime.BpfProgram.Prepare"/>).
    /// </summary>
    public IReadOnlyList<int> ArenaAccesses { get; init; } = [];

    /// <summary>
    /// What the verifier proved about each instruction's operands on every path (a divisor never 0, a
    /// shift count below the width...), for compilers that run the program unchecked; <see cref="ProvenFacts.None"/>
    /// when the program was rejected.
    /// </summary>
    public ProvenFacts Facts { get; init; } = ProvenFacts.None;

    /// <summary>True when the program is safe.</summary>
    public bool IsAccepted => Diagnostics.Count == 0;
}
