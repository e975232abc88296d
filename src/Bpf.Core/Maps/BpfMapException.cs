using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>A host operation on a map failed the way the kernel's would (full, exists, no such key, read-only, ...).</summary>
public sealed class BpfMapException : BpfException
{
    /// <summary>Creates the exception for map <paramref name="map"/> and error <paramref name="errno"/> (positive).</summary>
    public BpfMapException(string map, int errno, string reason)
        : base($"map {map}: {reason} ({ErrnoName(errno)})")
    {
        Map = map;
        Errno = errno;
    }

    /// <summary>The map's name.</summary>
    public string Map { get; }

    /// <summary>The Linux error number (positive), as the kernel's <c>bpf()</c> would report it.</summary>
    public int Errno { get; }

    private static string ErrnoName(int errno) => errno switch
    {
        Runtime.Errno.ENOENT => "ENOENT",
        Runtime.Errno.E2BIG => "E2BIG",
        Runtime.Errno.ENOMEM => "ENOMEM",
        Runtime.Errno.EBUSY => "EBUSY",
        Runtime.Errno.EEXIST => "EEXIST",
        Runtime.Errno.EINVAL => "EINVAL",
        Runtime.Errno.EPERM => "EPERM",
        Runtime.Errno.ENOSPC => "ENOSPC",
        _ => $"errno {errno}",
    };
}
