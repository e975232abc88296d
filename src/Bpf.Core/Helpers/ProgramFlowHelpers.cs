using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Helpers that change which program runs.</summary>
public static class ProgramFlowHelpers
{
    /// <summary>
    /// <c>bpf_tail_call(ctx, prog_array_map, index)</c> (helper 12): runs the program in the slot and
    /// does not come back to the caller, which returns that program's r0 (see
    /// <see cref="Invocation.TailCall"/>); returns a negative errno and lets the program go on when
    /// the slot is empty or the run already made 33 tail calls.
    /// </summary>
    public static ulong TailCall(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        invocation.TailCall(r1, r2, r3);
}
