namespace Bpf.Runtime;

/// <summary>
/// Linux error numbers that helpers and map operations return to programs, negated, as the
/// kernel does (a helper returns <c>-ENOENT</c> as the 64-bit value <c>(ulong)-2</c>).
/// </summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such entry.</summary>
    public const int ENOENT = 2;
    /// <summary>Argument list too long (a map is full).</summary>
    public const int E2BIG = 7;
    /// <summary>Try again.</summary>
    public const int EAGAIN = 11;
    /// <summary>Out of memory.</summary>
    public const int ENOMEM = 12;
    /// <summary>Bad address.</summary>
    public const int EFAULT = 14;
    /// <summary>Busy.</summary>
    public const int EBUSY = 16;
    /// <summary>The entry exists.</summary>
    public const int EEXIST = 17;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>No space left.</summary>
    public const int ENOSPC = 28;
    /// <summary>Result out of range.</summary>
    public const int ERANGE = 34;
    /// <summary>Not supported.</summary>
    public const int EOPNOTSUPP = 95;
    /// <summary>Not supported (the kernel's internal code, as helpers return it).</summary>
    public const int ENOTSUPP = 524;

    /// <summary>The 64-bit value a program sees for error <paramref name="errno"/>.</summary>
    public static ulong Negative(int errno) => (ulong)(long)-errno;
}
