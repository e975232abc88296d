using Bpf.Runtime;

namespace Bpf.Aot;

/// <summary>
/// Stands, while a program is planned for an assembly, for a helper or kfunc that the written code
/// must bind at run time (a host's, say): the lowering loads it as an object, which the Cecil back
/// end turns into a slot of the binding table. Never called.
/// </summary>
internal sealed class HelperPlaceholder(string description)
{
    public ulong Invoke(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        throw new InvalidOperationException($"{description} is bound when the precompiled program is bound; this placeholder only stands for it while the program is compiled");
}
