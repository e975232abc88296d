using Bpf.Isa;

namespace Bpf.Verification;

/// <summary>
/// Per-instruction facts the verifier proved for one accepted program: a flag holds at an
/// instruction when it held in every state the verifier saw there, and paths it pruned were
/// covered by one of those states, so it holds on every execution. Instructions the verifier never
/// reached (on no feasible path) have no facts. Immutable. A compiler uses them only for the very
/// <see cref="Code"/> they were proven for, and only when it runs that code unchecked.
/// </summary>
public sealed class ProvenFacts
{
    private readonly InstructionFacts[] _facts;

    /// <summary>Facts over <paramref name="code"/>, one entry per instruction slot.</summary>
    internal ProvenFacts(Bytecode? code, InstructionFacts[] facts)
    {
        Code = code;
        _facts = facts;
    }

    /// <summary>No facts about any code (a rejected program, or one not verified).</summary>
    public static ProvenFacts None { get; } = new(null, []);

    /// <summary>The code the facts were proven for (compared by reference), or null for <see cref="None"/>.</summary>
    public Bytecode? Code { get; }

    /// <summary>The facts of instruction <paramref name="pc"/> (<see cref="InstructionFacts.None"/> outside the code).</summary>
    public InstructionFacts this[int pc] => (uint)pc < (uint)_facts.Length ? _facts[pc] : InstructionFacts.None;

    /// <summary>True when every flag of <paramref name="facts"/> holds at instruction <paramref name="pc"/>.</summary>
    public bool Holds(int pc, InstructionFacts facts) => (this[pc] & facts) == facts;

    /// <summary>True when these facts were proven for <paramref name="code"/> (the same object).</summary>
    public bool AreFor(Bytecode code) => ReferenceEquals(Code, code);

    /// <summary>How many instructions have every flag of <paramref name="facts"/>.</summary>
    public int Count(InstructionFacts facts) => _facts.Count(f => (f & facts) == facts);
}
