namespace Bpf.Runtime.Aot;

/// <summary>
/// A BPF function compiled ahead of time to a static method of an emitted assembly: r1-r5 in,
/// r0 out, the same shape as the JIT's compiled functions.
/// </summary>
public delegate ulong PrecompiledFunction(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);
