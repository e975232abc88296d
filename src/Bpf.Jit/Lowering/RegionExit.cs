namespace Bpf.Jit.Lowering;

/// <summary>
/// What a region method returns: the region and slot where the function goes on, packed in one
/// long (region index in the high half, slot in the low half), or <see cref="FunctionReturned"/>
/// when the function executed <c>exit</c> (r0 is then in the register file).
/// </summary>
public static class RegionExit
{
    /// <summary>The function returned.</summary>
    public const long FunctionReturned = -1;

    /// <summary>Packs the next region and slot.</summary>
    public static long To(int region, int slot) => ((long)region << 32) | (uint)slot;
}
