namespace Bpf.Helpers;

/// <summary>The kfuncs every program may call.</summary>
internal static class BuiltInKfuncs
{
    public static KfuncRegistry Create()
    {
        var registry = new KfuncRegistry();
        registry.Register("bpf_iter_num_new", IteratorKfuncs.IterNumNew);
        registry.Register("bpf_iter_num_next", IteratorKfuncs.IterNumNext);
        registry.Register("bpf_iter_num_destroy", IteratorKfuncs.IterNumDestroy);
        registry.Register("memset", MemoryKfuncs.Memset);
        registry.Register("memcpy", MemoryKfuncs.Memcpy);
        registry.Register("memmove", MemoryKfuncs.Memmove);
        registry.Register("memcmp", MemoryKfuncs.Memcmp);
        registry.Register("bpf_arena_alloc_pages", ArenaKfuncs.AllocPages);
        registry.Register("bpf_arena_free_pages", ArenaKfuncs.FreePages);
        return registry;
    }
}
