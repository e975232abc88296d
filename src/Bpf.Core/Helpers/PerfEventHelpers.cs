using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>The helper that sends samples through a perf event array (<see cref="PerfEventArrayMap"/>) to the host.</summary>
public static class PerfEventHelpers
{
    /// <summary>
    /// <c>bpf_perf_event_output(ctx, map, flags, data, size)</c> (helper 25): hands <paramref name="r5"/>
    /// bytes at <paramref name="r4"/> to the listeners of the slot the low 32 bits of <paramref name="r3"/>
    /// name (<c>BPF_F_CURRENT_CPU</c>: the program's); 0 or a negative errno (see <see cref="PerfEventArrayMap.Output"/>).
    /// The context is not used. The networking variants' <c>BPF_F_CTXLEN_MASK</c>, which appends packet
    /// bytes to the sample, is not supported: such flags get <c>-EINVAL</c>, as tracing programs get in Linux.
    /// </summary>
    public static unsafe ulong Output(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r2) is not PerfEventArrayMap map)
            return Errno.Negative(Errno.EINVAL);
        if (r5 > int.MaxValue)
            return Errno.Negative(Errno.E2BIG);
        nint data = invocation.HelperRead(r4, (long)r5);
        return (ulong)map.Output(r3, new ReadOnlySpan<byte>((void*)data, (int)r5), invocation);
    }
}
