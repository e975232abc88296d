using Bpf.Isa;
using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>
/// Arena pointers (<c>PTR_TO_ARENA</c>), as Linux 6.18 treats them: <c>addr_space_cast(rX, 0, 1)</c>
/// makes one out of any value (the program's arena address space 1 to the kernel's 0); the other
/// direction gives a number. Any arithmetic keeps an arena pointer an arena pointer, and loads and
/// stores through it may use any offset: Linux's JIT confines them to the arena's 4 GiB and turns
/// faults on pages not allocated into zero loads and ignored stores. This runtime cannot catch
/// faults, so it runs programs that access arenas with run-time checks (see docs/verifier.md).
/// </summary>
public sealed partial class ProgramVerifier
{
    // Per instruction that accesses memory: true if through an arena pointer. Linux refuses one
    // instruction used with arena and other pointers ("same insn cannot be used with different pointers").
    private readonly Dictionary<int, bool> _arenaAccess = new();
    private bool? _usesArena;

    /// <summary>The instructions that load or store through arena pointers, in order.</summary>
    private IReadOnlyList<int> ArenaAccesses => [.. _arenaAccess.Where(a => a.Value).Select(a => a.Key).Order()];

    /// <summary>
    /// <c>addr_space_cast</c>: only between address spaces 1 and 0, and only in a program that uses
    /// an arena map (Linux's "addr_space_cast insn can only be used in a program that has an
    /// associated arena").
    /// </summary>
    private VerifierState AddressSpaceCast(int pc, Instruction instruction, RegisterState source, VerifierState state)
    {
        uint spaces = (uint)instruction.Immediate;
        if (spaces is not (1u or 1u << 16))
            throw Reject(DiagnosticCode.Arena, pc, $"addr_space_cast insn can only convert between address space 1 and 0 (this one is from {spaces & 0xFFFF} to {spaces >> 16})");
        if (!UsesArena)
            throw Reject(DiagnosticCode.Arena, pc, "addr_space_cast insn can only be used in a program that has an associated arena: the program loads no arena map");
        _ = source;
        return state.With(instruction.Dst, spaces == 1
            ? new RegisterState(RegisterKind.Arena, Scalar.Unknown, Origin: pc)
            : RegisterState.UnknownScalar with { Origin = pc });
    }

    /// <summary>True if an <c>lddw</c> of the program names an arena map.</summary>
    private bool UsesArena => _usesArena ??= UsedMaps().Any(m => m.Map.Type == BpfMapType.Arena);

    /// <summary>Linux allows a program one arena.</summary>
    private void CheckArenaMaps()
    {
        var arenas = UsedMaps().Where(m => m.Map.Type == BpfMapType.Arena).ToList();
        if (arenas.Count > 1)
            throw Reject(DiagnosticCode.Arena, arenas[1].Pc, $"Only one arena per program: the program uses {arenas[0].Map.Name} and {arenas[1].Map.Name}");
    }

    /// <summary>
    /// Arithmetic with an arena pointer: the result is an arena pointer whatever the operation (Linux
    /// does arena arithmetic on the low 32 bits), except that a number may not take an arena pointer
    /// away other than by adding it.
    /// </summary>
    private RegisterState ArenaArithmetic(int pc, OpcodeInfo info, Instruction instruction, RegisterState target, RegisterState source)
    {
        bool arenaTarget = target.Kind == RegisterKind.Arena;
        var other = arenaTarget ? source : target;
        if (other.IsPointer && other.Kind != RegisterKind.Arena)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"{info.Mnemonic} of an arena pointer and another pointer", Describe(instruction.Dst, target), Describe(instruction.Src, source));
        if (!arenaTarget && info.Operation != Operation.Add)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"{info.Mnemonic} of a number by an arena pointer: only adding an arena pointer to a number gives one", Describe(instruction.Dst, target), Describe(instruction.Src, source));
        return new RegisterState(RegisterKind.Arena, Scalar.Unknown, Origin: arenaTarget ? target.Origin : source.Origin);
    }

    /// <summary>A load or store through an arena pointer: any offset, any size (Linux's <c>PROBE_MEM32</c>).</summary>
    private (VerifierState State, RegisterState Loaded) ArenaAccess(VerifierState state, int size)
    {
        var loaded = RegisterState.FromScalar(size == 8 ? Scalar.Unknown : Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1));
        return (state, loaded);
    }

    /// <summary>
    /// Atomics through arena pointers: Linux's x86-64 JIT has every one but the fetching and, or and
    /// xor (<c>bpf_jit_supports_insn</c>), and the verifier refuses those ("BPF_ATOMIC stores into R2
    /// arena is not allowed").
    /// </summary>
    private void CheckArenaAtomic(int pc, OpcodeInfo info, int register, RegisterState pointer)
    {
        if (pointer.Kind == RegisterKind.Arena && info.Fetch && info.Operation is Operation.AtomicAnd or Operation.AtomicOr or Operation.AtomicXor)
            throw Reject(DiagnosticCode.Arena, pc, $"BPF_ATOMIC stores into r{register} arena is not allowed: {info.Mnemonic} (fetching and, or, xor) has no arena form on x86-64 Linux", Describe(register, pointer));
    }

    /// <summary>Remembers whether the access at <paramref name="pc"/> goes through an arena pointer, and refuses an instruction that mixes.</summary>
    private void NoteAccess(int pc, int register, RegisterState pointer)
    {
        if (!pointer.IsPointer)
            return;
        bool arena = pointer.Kind == RegisterKind.Arena;
        if (_arenaAccess.TryGetValue(pc, out bool before) && before != arena)
        {
            throw Reject(DiagnosticCode.Arena, pc,
                $"same insn cannot be used with different pointers: r{register} is {(arena ? "an arena pointer here and another pointer" : "another pointer here and an arena pointer")} on another path",
                Describe(register, pointer));
        }

        _arenaAccess[pc] = arena;
    }
}
