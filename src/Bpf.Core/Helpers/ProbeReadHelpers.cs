using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The probe helpers: bounded copies from memory the program cannot prove valid, which fail with
/// <c>-EFAULT</c> (and a zeroed destination) instead of faulting. What they may read is the host's
/// <see cref="ExecutionOptions.ProbeRegions"/> plus the program's own memory; see
/// <see cref="ExecutionOptions.ProbeRegions"/>. User space has no split between user and kernel
/// memory, so the <c>_user</c> and <c>_kernel</c> forms read the same memory (Linux on x86 would
/// refuse a kernel probe of a user address with <c>-ERANGE</c>). The destination is the program's:
/// in checked mode it must be memory the program may write.
/// </summary>
public static class ProbeReadHelpers
{
    /// <summary><c>bpf_probe_read(dst, size, unsafe_ptr)</c> (helper 4): 0, or <c>-EFAULT</c> with <c>dst</c> zeroed.</summary>
    public static ulong ProbeRead(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        return (ulong)ProbeMemory.Copy(invocation, invocation.HelperWrite(r1, size), r3, size);
    }

    /// <summary><c>bpf_probe_read_user(dst, size, unsafe_ptr)</c> (helper 112): as <see cref="ProbeRead"/>.</summary>
    public static ulong ProbeReadUser(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        ProbeRead(r1, r2, r3, r4, r5, invocation);

    /// <summary><c>bpf_probe_read_kernel(dst, size, unsafe_ptr)</c> (helper 113): as <see cref="ProbeRead"/>.</summary>
    public static ulong ProbeReadKernel(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        ProbeRead(r1, r2, r3, r4, r5, invocation);

    /// <summary>
    /// <c>bpf_probe_read_str(dst, size, unsafe_ptr)</c> (helper 45): copies a NUL-terminated string,
    /// at most <c>size - 1</c> bytes and the NUL, and returns the length copied including the NUL
    /// (<c>size</c> when the string was cut); <c>-EFAULT</c> with <c>dst</c> zeroed when the string
    /// runs into memory the probe may not read; 0 when <c>size</c> is 0.
    /// </summary>
    public static ulong ProbeReadString(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        return (ulong)ProbeMemory.CopyString(invocation, invocation.HelperWrite(r1, size), size, r3);
    }

    /// <summary><c>bpf_probe_read_user_str(dst, size, unsafe_ptr)</c> (helper 114): as <see cref="ProbeReadString"/>.</summary>
    public static ulong ProbeReadUserString(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        ProbeReadString(r1, r2, r3, r4, r5, invocation);

    /// <summary><c>bpf_probe_read_kernel_str(dst, size, unsafe_ptr)</c> (helper 115): as <see cref="ProbeReadString"/>.</summary>
    public static ulong ProbeReadKernelString(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        ProbeReadString(r1, r2, r3, r4, r5, invocation);
}
