namespace Bpf.Runtime.Contexts;

/// <summary>
/// <c>BPF_PROG_TYPE_SYSCALL</c> programs (<c>SEC("syscall")</c>): r1 points to an argument block the
/// caller fills and reads back (the kernel's <c>ctx_in</c> of <c>BPF_PROG_TEST_RUN</c>), which the
/// program may read and write at any constant offset below 65535. Linux refuses a run whose block is
/// smaller than the program's largest offset; this runtime instead always gives the program a zeroed
/// block of <see cref="Size"/> bytes holding the caller's bytes first, and copies them back after the
/// run, so that no offset the verifier allows can reach past it.
/// </summary>
public static class SyscallContext
{
    /// <summary>The size of the block a program sees: every access the verifier allows (offset below 65535, up to 8 bytes, aligned) lies inside.</summary>
    public const int Size = 1 << 16;

    /// <summary>The largest argument block Linux takes (<c>U16_MAX</c>: larger is <c>EINVAL</c>).</summary>
    public const int MaxArgumentSize = ushort.MaxValue;

    /// <summary>Runs <paramref name="program"/> on <paramref name="arguments"/>, which it may change; returns r0.</summary>
    /// <exception cref="ArgumentException"><paramref name="arguments"/> is larger than <see cref="MaxArgumentSize"/>.</exception>
    /// <exception cref="BpfRuntimeException">The program was stopped (checked mode violation, budget, bad call).</exception>
    public static ulong Run(BpfExecutable program, Span<byte> arguments)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (arguments.Length > MaxArgumentSize)
            throw new ArgumentException($"a syscall program's argument block is at most {MaxArgumentSize} bytes, not {arguments.Length}", nameof(arguments));
        var block = new byte[Size];
        arguments.CopyTo(block);
        ulong result = program.Run(block.AsSpan());
        block.AsSpan(0, arguments.Length).CopyTo(arguments);
        return result;
    }
}
