using System.ComponentModel;

namespace Bpf.Runtime.CompilerServices;

/// <summary>Calls whose target is only known at run time.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CallSupport
{
    /// <summary>
    /// <c>callx</c>: calls the helper whose number is in <paramref name="target"/>, or stops the
    /// program if there is none.
    /// </summary>
    public static ulong Callx(ulong target, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation, int instruction)
    {
        var helper = invocation.Helpers.Find((long)target);
        return helper is null
            ? Traps.BadCallTarget(target, instruction)
            : helper.Function(r1, r2, r3, r4, r5, invocation);
    }
}
