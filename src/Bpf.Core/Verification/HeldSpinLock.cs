using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>
/// The <c>bpf_spin_lock</c> a path holds (the kernel's <c>active_lock</c>): the map value it lies in,
/// named by the map and the id of the pointer the value came from (0 for a global's value), so that
/// <c>bpf_spin_unlock</c> can be checked to release the same lock.
/// </summary>
/// <param name="Map">The map whose value holds the lock.</param>
/// <param name="PointerId">The id of the map value pointer (its lookup), or 0 for a value loaded directly (<c>lddw</c>).</param>
/// <param name="Origin">The <c>bpf_spin_lock</c> call, for diagnostics.</param>
public sealed record HeldSpinLock(BpfMap Map, int PointerId, int Origin);
