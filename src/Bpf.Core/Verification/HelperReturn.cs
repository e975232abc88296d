namespace Bpf.Verification;

/// <summary>
/// What a helper or kfunc leaves in r0, after the kernel's <c>enum bpf_return_type</c>
/// (include/linux/bpf.h) and the return rules for kfuncs in <c>check_kfunc_call</c>.
/// </summary>
public enum HelperReturn
{
    /// <summary><c>RET_INTEGER</c>: an unknown scalar.</summary>
    Integer,

    /// <summary>
    /// <c>RET_VOID</c>: nothing; r0 is left unreadable, as the kernel marks it (a program that reads
    /// it before writing it is rejected).
    /// </summary>
    Void,

    /// <summary>
    /// <c>RET_PTR_TO_MAP_VALUE_OR_NULL</c>: a pointer to a value of the map in the helper's
    /// <see cref="HelperArgument.MapPointer"/> argument (its value size), or 0; the program must
    /// test it before it dereferences it.
    /// </summary>
    MapValueOrNull,

    /// <summary>
    /// <c>RET_PTR_TO_RINGBUF_MEM_OR_NULL</c>: a ring buffer reservation of the size given by the
    /// <see cref="HelperArgument.ConstAllocSizeOrZero"/> argument
    /// (<see cref="HelperPrototype.ReturnSizeArgument"/>), writable, or 0. It acquires a reference:
    /// on every path where it is not null it must be released exactly once (submitted or discarded)
    /// before the program exits.
    /// </summary>
    RingbufMemoryOrNull,

    /// <summary>
    /// A kfunc's <c>KF_RET_NULL</c> pointer to a primitive type: read-only memory of
    /// <see cref="HelperPrototype.ReturnSize"/> bytes (<c>PTR_TO_MEM | MEM_RDONLY | PTR_MAYBE_NULL</c>),
    /// or 0 (<c>bpf_iter_num_next</c>'s <c>int *</c>).
    /// </summary>
    ReadOnlyMemoryOrNull,

    /// <summary>
    /// A kfunc's <c>KF_ARENA_RET</c>: an address in the arena of the kfunc's
    /// <see cref="HelperArgument.ArenaMap"/> argument, or 0. Linux 6.18 gives the <c>void *</c> to the
    /// program as a number (an unknown scalar): it becomes an arena pointer
    /// (<see cref="RegisterKind.Arena"/>) through <c>addr_space_cast(rX, 0, 1)</c>, which compilers
    /// emit for <c>__arena</c> pointers.
    /// </summary>
    ArenaPointer,

    /// <summary>
    /// The kfunc returns its first argument unchanged (<c>memset</c>, <c>memcpy</c>, <c>memmove</c>
    /// return the destination), so r0 has r1's type after the call. These are this runtime's kfuncs;
    /// Linux has no such return type.
    /// </summary>
    FirstArgument,

    /// <summary>
    /// A kfunc's pointer to <see cref="HelperPrototype.ReturnSize"/> writable bytes (<c>PTR_TO_MEM</c>),
    /// null only with <see cref="KfuncFlags.ReturnsNull"/>; for host kfuncs, which may also acquire it
    /// (<see cref="KfuncFlags.Acquire"/>).
    /// </summary>
    MemoryOrNull,
}
