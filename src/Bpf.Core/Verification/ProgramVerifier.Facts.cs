using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// The facts a compiler may rely on (<see cref="ProvenFacts"/>): at each arithmetic instruction
/// with a register operand, what the state proves about the operands, joined (intersected) over
/// every visit.
/// </summary>
/// <remarks>
/// Why a join over the visits is enough: a path is only cut short at a prune point when an explored
/// state there covers it, and every path on from a covered state is one the explored state's paths
/// include (that is what makes pruning sound for safety); so the states seen at an instruction
/// cover every execution that reaches it. Registers the covering state has uninitialized are ones
/// its paths never read before writing, so they carry no fact either way.
/// </remarks>
public sealed partial class ProgramVerifier
{
    private InstructionFacts[]? _factsAt;
    private bool[]? _factsSeen;

    /// <summary>Joins what <paramref name="state"/> proves about the operands of instruction <paramref name="pc"/> into its facts.</summary>
    private void RecordFacts(int pc, OpcodeInfo info, Instruction instruction, VerifierState state)
    {
        if (!info.UsesSourceRegister || info.Operation is not (Operation.Div or Operation.Mod or Operation.SDiv or Operation.SMod
            or Operation.Lsh or Operation.Rsh or Operation.Arsh))
            return;

        _factsAt ??= new InstructionFacts[_code.Length];
        _factsSeen ??= new bool[_code.Length];
        var facts = FactsOf(info, state[instruction.Dst], state[instruction.Src]);
        _factsAt[pc] = _factsSeen[pc] ? _factsAt[pc] & facts : facts;
        _factsSeen[pc] = true;
    }

    private static InstructionFacts FactsOf(OpcodeInfo info, RegisterState target, RegisterState source)
    {
        if (!source.IsScalar)
            return InstructionFacts.None;
        var divisor = source.Value;
        bool is64 = info.Is64;
        switch (info.Operation)
        {
            case Operation.Lsh or Operation.Rsh or Operation.Arsh:
                bool inRange = is64 ? Math.Min(divisor.UMax, divisor.Bits.Max) < 64 : Math.Min(divisor.U32Max, (uint)divisor.Bits.Low32.Max) < 32;
                return inRange ? InstructionFacts.ShiftCountInRange : InstructionFacts.None;
            case Operation.Div or Operation.Mod:
                return MayBe(divisor, 0, is64) ? InstructionFacts.None : InstructionFacts.DivisorNonZero;
            default:
            {
                var facts = MayBe(divisor, 0, is64) ? InstructionFacts.None : InstructionFacts.DivisorNonZero;
                ulong minimum = is64 ? 1UL << 63 : 1UL << 31;
                if (!MayBe(divisor, ulong.MaxValue, is64) || (target.IsScalar && !MayBe(target.Value, minimum, is64)))
                    facts |= InstructionFacts.NoSignedOverflow;
                return facts;
            }
        }
    }

    /// <summary>True when <paramref name="value"/> (read at 64 or 32 bits) may be <paramref name="candidate"/> (its low half for 32).</summary>
    private static bool MayBe(Scalar value, ulong candidate, bool is64)
    {
        if (is64)
            return value.Contains(candidate);
        uint low = (uint)candidate;
        return value.Bits.Low32.Contains(low) && low >= value.U32Min && low <= value.U32Max
            && (int)low >= value.S32Min && (int)low <= value.S32Max;
    }

    /// <summary>The facts of an accepted program.</summary>
    private ProvenFacts CollectedFacts() => new(_code, _factsAt ?? new InstructionFacts[_code.Length]);
}
