using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Verification;

/// <summary>
/// <c>bpf_spin_lock</c> and <c>bpf_spin_unlock</c>, as Linux 6.18 checks them (<c>process_spin_lock</c>
/// and the checks of <c>do_check</c>): the lock is the <c>struct bpf_spin_lock</c> of a map value whose
/// BTF type declares one; a path holds at most one; while it holds one it may call no helper but
/// <c>bpf_spin_unlock</c>, only the kfuncs Linux allows there, and static BPF-to-BPF functions; the main
/// function may not exit; the unlock must name the same lock; and no load or store may touch the
/// lock's bytes.
/// </summary>
public sealed partial class ProgramVerifier
{
    private const int SpinLockSize = 4;

    /// <summary>r1 of <c>bpf_spin_lock</c> or <c>bpf_spin_unlock</c>: takes or gives back the lock.</summary>
    private VerifierState SpinLockCall(int pc, VerifierState state, int register, LinuxHelper helper, string name)
    {
        var value = Read(pc, state, register);
        string Involved() => Describe(register, value);
        if (value.Kind != RegisterKind.MapValue || value.MaybeNull || value.Map is null)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: r{register} must point to the bpf_spin_lock of a map value (checked against null)", Involved());
        var map = value.Map;
        if (!value.Value.IsConstant)
            throw Reject(DiagnosticCode.SpinLock, pc, $"{name}: r{register} has a variable offset; the lock must be named at a constant offset", Involved());
        int lockOffset = map.Definition.SpinLockOffset;
        if (lockOffset < 0)
            throw Reject(DiagnosticCode.SpinLock, pc, $"map '{map.Name}' has no valid bpf_spin_lock: its value type (BTF) declares no struct bpf_spin_lock", Involved());
        long at = value.Offset + (long)value.Value.ConstantValue;
        if (at != lockOffset)
            throw Reject(DiagnosticCode.SpinLock, pc, $"off {at} doesn't point to 'struct bpf_spin_lock' that is at {lockOffset} in the values of map {map.Name}", Involved());

        if (helper == LinuxHelper.SpinLock)
        {
            if (state.Lock is { } held)
                throw Reject(DiagnosticCode.SpinLock, pc, $"Locking two bpf_spin_locks are not allowed: the lock taken at instruction {held.Origin}{SourceOf(held.Origin)} is still held", Involved());
            return state with { Lock = new HeldSpinLock(map, value.Id, pc) };
        }

        if (state.Lock is not { } current)
            throw Reject(DiagnosticCode.SpinLock, pc, "bpf_spin_unlock without taking a lock on this path", Involved());
        if (!ReferenceEquals(current.Map, map) || current.PointerId != value.Id)
            throw Reject(DiagnosticCode.SpinLock, pc, $"bpf_spin_unlock of different lock: the lock held was taken at instruction {current.Origin}{SourceOf(current.Origin)}", Involved());
        return state with { Lock = null };
    }

    /// <summary>While a lock is held only <c>bpf_spin_unlock</c> and the kfuncs Linux allows may be called.</summary>
    private void CheckCallUnderLock(int pc, VerifierState state, HelperPrototype callee)
    {
        if (state.Lock is { } held && !callee.AllowedUnderSpinLock)
            throw Reject(DiagnosticCode.SpinLock, pc, $"function calls are not allowed while holding a lock: {callee.Name} is called with the lock taken at instruction {held.Origin}{SourceOf(held.Origin)} still held");
    }

    /// <summary>The main function may not exit with a lock held (a BPF-to-BPF function may: its caller unlocks).</summary>
    private void CheckExitUnderLock(int pc, VerifierState state)
    {
        if (state.Frames.Length == 1 && state.Lock is { } held)
            throw Reject(DiagnosticCode.SpinLock, pc, $"BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region: bpf_spin_unlock is missing for the lock taken at instruction {held.Origin}{SourceOf(held.Origin)}");
    }

    /// <summary>Loads and stores may not touch a value's lock (Linux: "bpf_spin_lock cannot be accessed directly by load/store").</summary>
    private void CheckNotSpinLock(int pc, int register, RegisterState pointer, short offset, int size)
    {
        if (pointer.Map is not { } map || map.Definition.SpinLockOffset is var lockOffset && lockOffset < 0)
            return;
        long low = pointer.Offset + offset + pointer.Value.SMin;
        long high = pointer.Value.SMax > int.MaxValue ? long.MaxValue : pointer.Offset + offset + pointer.Value.SMax + size;
        if (low < lockOffset + SpinLockSize && lockOffset < high)
            throw Reject(DiagnosticCode.SpinLock, pc, $"bpf_spin_lock cannot be accessed directly by load/store: the {size}-byte access may touch the lock at offset {lockOffset} of map {map.Name}'s value", Describe(register, pointer));
    }

    /// <summary>
    /// The kernel's <c>check_map_prog_compatibility</c> for spin locks: socket filters and tracing
    /// programs may not use a map whose value has one.
    /// </summary>
    private void CheckSpinLockMaps()
    {
        var kind = _options.Type.Kind;
        bool tracing = kind is BpfProgramKind.Kprobe or BpfProgramKind.Tracepoint or BpfProgramKind.PerfEvent or BpfProgramKind.RawTracepoint
            or BpfProgramKind.RawTracepointWritable or BpfProgramKind.Tracing;
        if (kind != BpfProgramKind.SocketFilter && !tracing)
            return;
        foreach (var (pc, map) in UsedMaps())
        {
            if (map.Definition.SpinLockOffset >= 0)
                throw Reject(DiagnosticCode.SpinLock, pc, $"{(tracing ? "tracing" : "socket filter")} progs cannot use bpf_spin_lock yet: map {map.Name} has one in its values");
        }
    }

    /// <summary>The maps the program's <c>lddw</c> instructions name, with the first instruction naming each.</summary>
    private IEnumerable<(int Pc, Maps.BpfMap Map)> UsedMaps()
    {
        var seen = new HashSet<Maps.BpfMap>();
        for (int pc = 0; pc < _code.Length; pc++)
        {
            if (_code.InfoAt(pc) is { Operation: Operation.LoadImm64 } info
                && info.PseudoSource is LoadImm64Source.MapFd or LoadImm64Source.MapIndex or LoadImm64Source.MapValue or LoadImm64Source.MapIndexValue
                && (uint)_code[pc].Immediate < (uint)_options.Maps.Count && seen.Add(_options.Maps[_code[pc].Immediate]))
            {
                yield return (pc, _options.Maps[_code[pc].Immediate]);
            }
        }
    }
}
