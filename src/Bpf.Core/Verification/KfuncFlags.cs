namespace Bpf.Verification;

/// <summary>
/// What the kernel's <c>BTF_ID_FLAGS</c> say about a kfunc (the <c>KF_*</c> flags in
/// include/linux/btf.h), as far as this runtime's kfuncs need them.
/// </summary>
[Flags]
public enum KfuncFlags
{
    /// <summary>No flags: a plain kfunc.</summary>
    None = 0,

    /// <summary><c>KF_RET_NULL</c>: the returned pointer may be 0 and must be tested before use.</summary>
    ReturnsNull = 1 << 0,

    /// <summary>
    /// <c>KF_ITER_NEW</c>: constructs the iterator its first argument points to. The slot must not
    /// hold a live iterator; after the call it holds one (whatever the result), which must be
    /// destroyed before the program exits.
    /// </summary>
    IteratorNew = 1 << 1,

    /// <summary>
    /// <c>KF_ITER_NEXT</c>: advances a constructed iterator. The verifier explores both outcomes: a
    /// non-null result (another round) and null (the iterator is drained), and requires the loop to
    /// converge.
    /// </summary>
    IteratorNext = 1 << 2,

    /// <summary><c>KF_ITER_DESTROY</c>: destroys a constructed iterator, releasing it; the slot may be reused after.</summary>
    IteratorDestroy = 1 << 3,

    /// <summary><c>KF_SLEEPABLE</c>: may sleep, so Linux lets only sleepable programs call it.</summary>
    Sleepable = 1 << 4,

    /// <summary><c>KF_TRUSTED_ARGS</c>: pointer arguments must be trusted (unmodified pointers the program was given).</summary>
    TrustedArguments = 1 << 5,

    /// <summary><c>KF_ARENA_RET</c>: returns an arena pointer (<see cref="HelperReturn.ArenaPointer"/>).</summary>
    ArenaReturn = 1 << 6,

    /// <summary><c>KF_ARENA_ARG2</c>: the second argument is an arena pointer.</summary>
    ArenaArgument2 = 1 << 7,

    /// <summary>
    /// <c>KF_ACQUIRE</c>: the returned pointer is a reference the program must hand to a
    /// <see cref="Release"/> kfunc exactly once before it exits (with <see cref="ReturnsNull"/>, only
    /// when it is not null).
    /// </summary>
    Acquire = 1 << 8,

    /// <summary><c>KF_RELEASE</c>: releases the reference its first pointer argument holds; the pointer and its copies are invalid after the call.</summary>
    Release = 1 << 9,
}
