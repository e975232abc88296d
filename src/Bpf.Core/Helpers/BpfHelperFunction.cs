using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// A helper function: r1-r5 in, r0 out, as BPF calls them. A helper that takes fewer arguments
/// ignores the rest. Compiled code calls a helper made from a public static method directly, so
/// the JIT can inline it; other delegates are called through the delegate.
/// </summary>
/// <param name="r1">The first argument.</param>
/// <param name="r2">The second argument.</param>
/// <param name="r3">The third argument.</param>
/// <param name="r4">The fourth argument.</param>
/// <param name="r5">The fifth argument.</param>
/// <param name="invocation">The run that calls the helper.</param>
/// <returns>The value the program sees in r0.</returns>
public delegate ulong BpfHelperFunction(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation);
