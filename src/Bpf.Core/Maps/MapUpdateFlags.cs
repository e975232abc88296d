namespace Bpf.Maps;

/// <summary>The flags of a map update (<c>bpf_map_update_elem</c>'s last argument).</summary>
[Flags]
public enum MapUpdateFlags : ulong
{
    /// <summary><c>BPF_ANY</c>: create or replace.</summary>
    Any = 0,
    /// <summary><c>BPF_NOEXIST</c>: create only; -EEXIST if the key exists.</summary>
    NoExist = 1,
    /// <summary><c>BPF_EXIST</c>: replace only; -ENOENT if the key does not exist.</summary>
    Exist = 2,
    /// <summary><c>BPF_F_LOCK</c>: update under the value's <c>bpf_spin_lock</c>.</summary>
    Lock = 4,
}
