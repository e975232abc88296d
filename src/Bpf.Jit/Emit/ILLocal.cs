namespace Bpf.Jit.Emit;

/// <summary>
/// A local variable of the method being emitted. Every back end declares locals in the lowering's
/// order, so <see cref="Index"/> is the IL local index everywhere.
/// </summary>
/// <param name="Index">The IL local index.</param>
/// <param name="Type">The local's type.</param>
public readonly record struct ILLocal(int Index, Type Type);
