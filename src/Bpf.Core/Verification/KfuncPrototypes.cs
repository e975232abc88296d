using Bpf.Maps;
using static Bpf.Verification.HelperArgument;

namespace Bpf.Verification;

/// <summary>
/// The prototypes of the built-in kfuncs (those the loader binds by name): the open-coded number
/// iterator and the arena page kfuncs as Linux 6.18 declares them (kernel/bpf/bpf_iter.c,
/// kernel/bpf/arena.c and their <c>BTF_ID_FLAGS</c>), and this runtime's <c>memset</c>,
/// <c>memcpy</c>, <c>memmove</c> and <c>memcmp</c>, which Linux does not have (it rejects the calls
/// clang emits for large copies), described as pointer and size pairs. The iterator kfuncs may be
/// called while a spin lock is held (the kernel's <c>kfunc_spin_allowed</c>); no other may.
/// </summary>
public static class KfuncPrototypes
{
    private static readonly BpfMapType[] s_arena = [BpfMapType.Arena];
    private static readonly Dictionary<string, HelperPrototype> s_prototypes = Build().ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>Every prototype, by name.</summary>
    public static IEnumerable<HelperPrototype> All => s_prototypes.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    /// <summary>The prototype of the kfunc named <paramref name="name"/>, or null if it has none.</summary>
    public static HelperPrototype? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return s_prototypes.GetValueOrDefault(name);
    }

    private static HelperPrototype Kfunc(string name, HelperReturn returns, KfuncFlags flags, params HelperArgument[] arguments) =>
        new(HelperPrototype.KfuncId, name, returns, arguments) { KfuncFlags = flags };

    private static IEnumerable<HelperPrototype> Build()
    {
        // int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end): KF_ITER_NEW
        yield return Kfunc("bpf_iter_num_new", HelperReturn.Integer, KfuncFlags.IteratorNew, IteratorState, HelperArgument.Scalar, HelperArgument.Scalar) with
        {
            AllowedUnderSpinLock = true,
        };

        // int *bpf_iter_num_next(struct bpf_iter_num *it): KF_ITER_NEXT | KF_RET_NULL; the int is read-only.
        yield return Kfunc("bpf_iter_num_next", HelperReturn.ReadOnlyMemoryOrNull, KfuncFlags.IteratorNext | KfuncFlags.ReturnsNull, IteratorState) with
        {
            ReturnSize = sizeof(int),
            AllowedUnderSpinLock = true,
        };

        // void bpf_iter_num_destroy(struct bpf_iter_num *it): KF_ITER_DESTROY
        yield return Kfunc("bpf_iter_num_destroy", HelperReturn.Void, KfuncFlags.IteratorDestroy, IteratorState) with { AllowedUnderSpinLock = true };

        // void *bpf_arena_alloc_pages(void *p__map, void *addr__ign, u32 page_cnt, int node_id, u64 flags):
        // KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_RET | KF_ARENA_ARG2 (the address is not checked: __ign).
        yield return Kfunc(
            "bpf_arena_alloc_pages",
            HelperReturn.ArenaPointer,
            KfuncFlags.TrustedArguments | KfuncFlags.Sleepable | KfuncFlags.ArenaReturn | KfuncFlags.ArenaArgument2,
            HelperArgument.ArenaMap, Anything, HelperArgument.Scalar, HelperArgument.Scalar, HelperArgument.Scalar) with { MapTypes = s_arena };

        // void bpf_arena_free_pages(void *p__map, void *ptr__ign, u32 page_cnt): KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_ARG2
        yield return Kfunc(
            "bpf_arena_free_pages",
            HelperReturn.Void,
            KfuncFlags.TrustedArguments | KfuncFlags.Sleepable | KfuncFlags.ArenaArgument2,
            HelperArgument.ArenaMap, Anything, HelperArgument.Scalar) with { MapTypes = s_arena };

        // This runtime's libc-style kfuncs: both pointers of a pair take their size from n (r3).
        yield return Kfunc("memset", HelperReturn.FirstArgument, KfuncFlags.None, UninitMemory, HelperArgument.Scalar, ConstSizeOrZero) with { SizeArguments = [3, 0, 0] };
        yield return Kfunc("memcpy", HelperReturn.FirstArgument, KfuncFlags.None, UninitMemory, Memory, ConstSizeOrZero) with { SizeArguments = [3, 3, 0] };
        yield return Kfunc("memmove", HelperReturn.FirstArgument, KfuncFlags.None, UninitMemory, Memory, ConstSizeOrZero) with { SizeArguments = [3, 3, 0] };
        yield return Kfunc("memcmp", HelperReturn.Integer, KfuncFlags.None, Memory, Memory, ConstSizeOrZero) with { SizeArguments = [3, 3, 0] };
    }
}
