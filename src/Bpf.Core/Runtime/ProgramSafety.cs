namespace Bpf.Runtime;

/// <summary>
/// What keeps a program from touching memory it should not (<see cref="ExecutionOptions.Safety"/>).
/// </summary>
public enum ProgramSafety
{
    /// <summary>
    /// The verifier proves the program safe before it is prepared, and it then runs with no
    /// run-time checks at all, as in Linux. A program the verifier rejects is not prepared: preparing
    /// it throws a <see cref="Verification.VerificationException"/> listing the diagnostics. The
    /// default for programs of objects (<see cref="BpfProgram.Prepare"/>).
    /// </summary>
    Verified,

    /// <summary>
    /// Checked mode, the opt-in for code no verifier has proved safe: nothing is verified, and every
    /// load, store and atomic is bounds-checked at run time against the regions the program was given
    /// (its input or context, its stack frames, its maps' values), stack frames start zeroed, and the
    /// instruction budget stops runaway loops. A violation stops the program cleanly with a
    /// <see cref="BpfRuntimeException"/> naming the instruction. The default for bare images given to
    /// an engine (<see cref="IBpfEngine.Prepare"/>), such as the conformance suite's programs, which
    /// are written for the instruction set rather than for the verifier.
    /// </summary>
    Checked,

    /// <summary>
    /// Neither verified nor checked: the host vouches for the program (one it verified itself, one an
    /// ahead-of-time build verified, a generated program known to stay in bounds, a benchmark).
    /// Accesses run unchecked at full speed; an unsafe program can corrupt the host process.
    /// </summary>
    Trusted,
}
