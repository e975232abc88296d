namespace Bpf.Runtime;

/// <summary>
/// The values programs hold for their own functions: what <c>lddw rN, func</c> loads (a callback
/// for <c>bpf_loop</c>, <c>bpf_for_each_map_elem</c>...). Like map handles they are not pointers: a
/// helper that is given one asks <see cref="Invocation.CallFunction"/> to call it, which checks it.
/// </summary>
public static class FunctionHandles
{
    private const ulong Tag = 0xBFF0_0000_0000_0000;
    private const ulong TagMask = 0xFFF0_0000_0000_0000;

    /// <summary>The handle of function <paramref name="functionIndex"/> of the running program.</summary>
    public static ulong Encode(int functionIndex) => Tag | (uint)functionIndex;

    /// <summary>The function index a handle stands for, or -1 if the value is not a function handle.</summary>
    public static int Decode(ulong handle) =>
        (handle & TagMask) == Tag && (handle & ~TagMask) <= int.MaxValue ? (int)(handle & ~TagMask) : -1;
}
