namespace Bpf.Verification;

/// <summary>
/// The stable codes of verifier diagnostics, printed as <c>BPF0nnn</c>; docs/verifier.md explains
/// each. Codes are never reused for another meaning.
/// </summary>
public enum DiagnosticCode
{
    /// <summary>An instruction no path reaches.</summary>
    UnreachableInstruction = 1,
    /// <summary>The program's structure is invalid (a jump out of its function, recursion, too deep calls...).</summary>
    InvalidStructure = 2,
    /// <summary>A register is read before it is written.</summary>
    UninitializedRegister = 10,
    /// <summary>Stack bytes are read before they are written.</summary>
    UninitializedStack = 11,
    /// <summary>A memory access outside what the pointer may reach.</summary>
    OutOfBounds = 20,
    /// <summary>A pointer that may be null is dereferenced.</summary>
    PossiblyNull = 21,
    /// <summary>Arithmetic a pointer does not allow.</summary>
    InvalidPointerArithmetic = 22,
    /// <summary>A write to memory programs may only read.</summary>
    ReadOnlyWrite = 23,
    /// <summary>A memory access Linux requires to be aligned is not.</summary>
    Misaligned = 24,
    /// <summary>A pointer would leak (into a map, the return value, or memory) where the host forbids it.</summary>
    PointerLeak = 25,
    /// <summary>A context field the program type does not allow.</summary>
    InvalidContextAccess = 26,
    /// <summary>Memory is accessed through something that is not a pointer.</summary>
    NotAPointer = 27,
    /// <summary>A helper or kfunc argument of the wrong kind or size.</summary>
    InvalidHelperArgument = 30,
    /// <summary>A call of a helper the program type may not use, or that does not exist.</summary>
    UnknownHelper = 31,
    /// <summary>A reference (ring buffer reservation, iterator) is not released before exit.</summary>
    UnreleasedReference = 40,
    /// <summary>A <c>bpf_spin_lock</c> misused: taken twice, not released, released without being taken, calls or exit while held, its bytes accessed directly.</summary>
    SpinLock = 41,
    /// <summary>An arena misused: <c>addr_space_cast</c> without an arena or with other address spaces, or one instruction accessing arena and other memory.</summary>
    Arena = 42,
    /// <summary>A loop that makes no progress.</summary>
    InfiniteLoop = 50,
    /// <summary>Verification needs more than the instruction budget.</summary>
    TooComplex = 51,
    /// <summary>The return value is outside what the program type allows, or not initialized.</summary>
    InvalidReturnValue = 60,
}
