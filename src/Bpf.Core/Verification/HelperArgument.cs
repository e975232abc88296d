namespace Bpf.Verification;

/// <summary>
/// What a helper or kfunc expects in one argument register, after the kernel's
/// <c>enum bpf_arg_type</c> (include/linux/bpf.h). The low byte is the kind; <see cref="MaybeNull"/>
/// may be or-ed onto the pointer kinds, as the kernel ors <c>PTR_MAYBE_NULL</c> onto its base types
/// (use <see cref="HelperArguments.Kind"/> and <see cref="HelperArguments.IsNullable"/> to take a
/// value apart). Memory kinds take their size from another argument: for helpers always the next
/// one, as in the kernel (<see cref="HelperPrototype.SizeArgumentOf"/>).
/// </summary>
public enum HelperArgument : ushort
{
    /// <summary><c>ARG_DONTCARE</c>: the argument is not used; the register may hold anything, even nothing.</summary>
    DontCare = 0,

    /// <summary><c>ARG_ANYTHING</c>: any initialized value (a scalar, or a pointer in privileged programs).</summary>
    Anything = 1,

    /// <summary><c>ARG_CONST_SIZE</c>: the byte count of the memory argument before it; bounded, greater than 0.</summary>
    ConstSize = 2,

    /// <summary><c>ARG_CONST_SIZE_OR_ZERO</c>: as <see cref="ConstSize"/>, but 0 is allowed (the memory is then not accessed).</summary>
    ConstSizeOrZero = 3,

    /// <summary>
    /// <c>ARG_CONST_ALLOC_SIZE_OR_ZERO</c>: a known constant, the size of the memory the helper returns
    /// (<c>bpf_ringbuf_reserve</c>'s size).
    /// </summary>
    ConstAllocSizeOrZero = 4,

    /// <summary><c>ARG_CONST_MAP_PTR</c>: a map the program loaded with <c>lddw rN, map</c> (<c>CONST_PTR_TO_MAP</c>).</summary>
    MapPointer = 5,

    /// <summary><c>ARG_PTR_TO_MAP_KEY</c>: readable, initialized memory of the map argument's key size.</summary>
    MapKey = 6,

    /// <summary><c>ARG_PTR_TO_MAP_VALUE</c>: readable, initialized memory of the map argument's value size.</summary>
    MapValue = 7,

    /// <summary>
    /// <c>ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE</c>: writable memory of the map argument's value
    /// size that need not be initialized; the helper fills it (the output of pop and peek).
    /// </summary>
    UninitMapValue = 8,

    /// <summary>
    /// <c>ARG_PTR_TO_MEM | MEM_RDONLY</c>: readable, initialized memory (stack, map value, packet,
    /// helper memory...) of the size in the next argument; the helper only reads it.
    /// </summary>
    Memory = 9,

    /// <summary>
    /// <c>ARG_PTR_TO_MEM | MEM_WRITE</c>: writable memory of the size in the next argument, which the
    /// helper may read before it writes, so on the stack it must be initialized.
    /// </summary>
    WritableMemory = 10,

    /// <summary>
    /// <c>ARG_PTR_TO_UNINIT_MEM</c> (<c>ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE</c>): writable memory of
    /// the size in the next argument, which need not be initialized: the helper fills all of it.
    /// </summary>
    UninitMemory = 11,

    /// <summary><c>ARG_PTR_TO_CTX</c>: the program's context pointer, unmodified (offset 0).</summary>
    Context = 12,

    /// <summary>
    /// <c>ARG_PTR_TO_CONST_STR</c>: a pointer at a constant offset into a read-only map value (<c>.rodata</c>)
    /// whose bytes from there hold a NUL-terminated string.
    /// </summary>
    ConstString = 13,

    /// <summary><c>ARG_PTR_TO_FUNC</c>: a callback: a subprogram's address loaded with <c>lddw rN, func</c>.</summary>
    Function = 14,

    /// <summary>
    /// <c>ARG_PTR_TO_STACK_OR_NULL</c>: a pointer into the program's stack, or 0; handed to the
    /// callback as its context argument. Nullable by definition.
    /// </summary>
    CallbackContext = 15,

    /// <summary>
    /// <c>ARG_PTR_TO_SPIN_LOCK</c>: a pointer, at a constant offset, to the <c>struct bpf_spin_lock</c>
    /// of a map value whose map declares one (BTF).
    /// </summary>
    SpinLock = 16,

    /// <summary>
    /// <c>ARG_PTR_TO_RINGBUF_MEM</c>: a ring buffer reservation from <c>bpf_ringbuf_reserve</c>, not
    /// null, at offset 0, still held; the helper releases it (<c>OBJ_RELEASE</c>).
    /// </summary>
    RingbufMemory = 17,

    /// <summary>
    /// <c>ARG_PTR_TO_LONG</c> (since Linux 6.12 <c>ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE |
    /// MEM_ALIGNED</c> with size 8): 8 writable, 8-byte aligned bytes the helper fills.
    /// </summary>
    LongOutput = 18,

    /// <summary>
    /// <c>ARG_PTR_TO_INT</c> (since Linux 6.12 the fixed-size form with size 4): 4 writable, 4-byte
    /// aligned bytes the helper fills.
    /// </summary>
    IntOutput = 19,

    /// <summary>
    /// A kfunc's <c>struct bpf_iter_num *</c>: an 8-byte iterator slot on the stack (at a constant
    /// offset, 8-byte aligned). Whether it must be fresh or constructed depends on the kfunc
    /// (<see cref="KfuncFlags"/>).
    /// </summary>
    IteratorState = 20,

    /// <summary>A kfunc's <c>void *p__map</c> that must be an arena map (<c>BPF_MAP_TYPE_ARENA</c>) loaded with <c>lddw rN, map</c>.</summary>
    ArenaMap = 21,

    /// <summary>
    /// A kfunc's scalar parameter (<c>int</c>, <c>u32</c>, <c>u64</c>...): an initialized scalar; unlike
    /// <see cref="Anything"/>, a pointer is refused (the kernel's "R2 is not a scalar").
    /// </summary>
    Scalar = 22,

    /// <summary>
    /// A kfunc's pointer to an object an acquiring kfunc (<see cref="KfuncFlags.Acquire"/>) returned:
    /// not null, unchanged, still held. With <see cref="KfuncFlags.Release"/> the call releases it.
    /// </summary>
    Reference = 23,

    /// <summary><c>PTR_MAYBE_NULL</c>: or-ed onto a pointer kind, the register may also be 0 (the helper then ignores the argument).</summary>
    MaybeNull = 0x100,
}

/// <summary>Taking <see cref="HelperArgument"/> values apart.</summary>
public static class HelperArguments
{
    private const ushort KindMask = 0xFF;

    /// <summary>The kind without the flags.</summary>
    public static HelperArgument Kind(this HelperArgument argument) => (HelperArgument)((ushort)argument & KindMask);

    /// <summary>True if 0 is also accepted (<see cref="HelperArgument.MaybeNull"/> or a kind that is nullable by definition).</summary>
    public static bool IsNullable(this HelperArgument argument) =>
        (argument & HelperArgument.MaybeNull) != 0 || argument.Kind() == HelperArgument.CallbackContext;

    /// <summary>True for the kinds whose size another argument gives (<see cref="HelperPrototype.SizeArgumentOf"/>).</summary>
    public static bool IsSizedMemory(this HelperArgument argument) =>
        argument.Kind() is HelperArgument.Memory or HelperArgument.WritableMemory or HelperArgument.UninitMemory;

    /// <summary>True for the kinds that give a size (<see cref="HelperArgument.ConstSize"/>, <see cref="HelperArgument.ConstSizeOrZero"/>).</summary>
    public static bool IsSize(this HelperArgument argument) =>
        argument.Kind() is HelperArgument.ConstSize or HelperArgument.ConstSizeOrZero;

    /// <summary>True for the kinds the helper writes through (<c>MEM_WRITE</c>).</summary>
    public static bool IsWritten(this HelperArgument argument) =>
        argument.Kind() is HelperArgument.WritableMemory or HelperArgument.UninitMemory or HelperArgument.UninitMapValue
            or HelperArgument.LongOutput or HelperArgument.IntOutput;

    /// <summary>True for the kinds whose memory need not be initialized before the call (<c>MEM_UNINIT</c>).</summary>
    public static bool MayBeUninitialized(this HelperArgument argument) =>
        argument.Kind() is HelperArgument.UninitMemory or HelperArgument.UninitMapValue
            or HelperArgument.LongOutput or HelperArgument.IntOutput;

    /// <summary>The kernel's spelling (<c>ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY</c>), for diagnostics.</summary>
    public static string KernelName(this HelperArgument argument)
    {
        string baseName = argument.Kind() switch
        {
            HelperArgument.DontCare => "ARG_DONTCARE",
            HelperArgument.Anything => "ARG_ANYTHING",
            HelperArgument.ConstSize => "ARG_CONST_SIZE",
            HelperArgument.ConstSizeOrZero => "ARG_CONST_SIZE_OR_ZERO",
            HelperArgument.ConstAllocSizeOrZero => "ARG_CONST_ALLOC_SIZE_OR_ZERO",
            HelperArgument.MapPointer => "ARG_CONST_MAP_PTR",
            HelperArgument.MapKey => "ARG_PTR_TO_MAP_KEY",
            HelperArgument.MapValue => "ARG_PTR_TO_MAP_VALUE",
            HelperArgument.UninitMapValue => "ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE",
            HelperArgument.Memory => "ARG_PTR_TO_MEM",
            HelperArgument.WritableMemory => "ARG_PTR_TO_MEM",
            HelperArgument.UninitMemory => "ARG_PTR_TO_UNINIT_MEM",
            HelperArgument.Context => "ARG_PTR_TO_CTX",
            HelperArgument.ConstString => "ARG_PTR_TO_CONST_STR",
            HelperArgument.Function => "ARG_PTR_TO_FUNC",
            HelperArgument.CallbackContext => "ARG_PTR_TO_STACK_OR_NULL",
            HelperArgument.SpinLock => "ARG_PTR_TO_SPIN_LOCK",
            HelperArgument.RingbufMemory => "ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE",
            HelperArgument.LongOutput => "ARG_PTR_TO_LONG",
            HelperArgument.IntOutput => "ARG_PTR_TO_INT",
            HelperArgument.IteratorState => "KF_ARG_PTR_TO_ITER",
            HelperArgument.ArenaMap => "KF_ARG_PTR_TO_MAP",
            HelperArgument.Scalar => "scalar",
            HelperArgument.Reference => "KF_ARG_PTR_TO_BTF_ID (referenced)",
            var other => $"unknown argument kind {(ushort)other}",
        };
        if ((argument & HelperArgument.MaybeNull) != 0)
            baseName += " | PTR_MAYBE_NULL";
        if (argument.Kind() == HelperArgument.Memory)
            baseName += " | MEM_RDONLY";
        else if (argument.Kind() == HelperArgument.WritableMemory)
            baseName += " | MEM_WRITE";
        return baseName;
    }
}
