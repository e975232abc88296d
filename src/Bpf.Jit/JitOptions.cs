namespace Bpf.Jit;

/// <summary>Choices that only the JIT has; most hosts never need them.</summary>
public sealed record JitOptions
{
    /// <summary>The defaults.</summary>
    public static JitOptions Default { get; } = new();

    /// <summary>
    /// Split a function whose IL would exceed RyuJIT's optimization budget into region methods
    /// (the default). Turning it off is for diagnostics and measurements only: such a function is
    /// then compiled with MinOpts, several times slower.
    /// </summary>
    public bool SplitLargeFunctions { get; init; } = true;
}
