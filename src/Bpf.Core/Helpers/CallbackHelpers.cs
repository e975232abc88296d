using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Helpers that call the program's own functions back: <c>bpf_loop</c>.</summary>
public static class CallbackHelpers
{
    /// <summary>The most iterations <c>bpf_loop</c> runs (<c>BPF_MAX_LOOPS</c>).</summary>
    public const uint MaxLoops = 1 << 23;

    /// <summary>
    /// <c>bpf_loop(nr_loops, callback_fn, callback_ctx, flags)</c> (helper 181): calls the program's
    /// function <c>callback_fn(index, callback_ctx)</c> for index 0, 1, ... up to <c>nr_loops</c>
    /// times, stopping early when it returns non-zero (the verifier allows only 1); returns the number
    /// of calls made. Flags must be 0 (<c>-EINVAL</c>); more than 2^23 loops is <c>-E2BIG</c>. In
    /// checked mode each iteration costs one instruction of the budget besides the callback's own,
    /// so that nested loops cannot run for hours (compiled code charges only its loops, and a
    /// callback has none).
    /// </summary>
    public static ulong Loop(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (r4 != 0)
            return Errno.Negative(Errno.EINVAL);
        uint loops = (uint)r1;
        if (loops > MaxLoops)
            return Errno.Negative(Errno.E2BIG);
        bool charge = invocation.Options.Checked;
        for (uint i = 0; i < loops; i++)
        {
            if (charge)
                invocation.ConsumeBudget(1, invocation.CurrentInstruction);
            if (invocation.CallFunction(r2, i, r3, 0, 0, 0) != 0)
                return i + 1UL;
        }

        return loops;
    }
}
