namespace Bpf.Jit.Emit;

/// <summary>A branch target in the method being emitted; back ends map it to their own label type.</summary>
/// <param name="Id">The label's number, in the order the lowering defined it.</param>
public readonly record struct ILLabel(int Id);
