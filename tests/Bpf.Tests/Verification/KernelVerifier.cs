using System.Runtime.InteropServices;
using System.Text;
using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Tests.Verification;

/// <summary>
/// The running Linux kernel's verifier, through <c>BPF_PROG_LOAD</c>, so that tests can ask it what
/// it accepts: a program is loaded (and closed at once) and the verdict comes with the verifier log.
/// </summary>
/// <remarks>
/// The <c>union bpf_attr</c> layout for <c>BPF_PROG_LOAD</c>, from the uapi header: <c>prog_type</c>,
/// <c>insn_cnt</c> (32 bits each), the 64-bit pointers <c>insns</c> and <c>license</c>, <c>log_level</c>,
/// <c>log_size</c> (32 bits each), the 64-bit <c>log_buf</c>, <c>kern_version</c>, <c>prog_flags</c> (offset 44),
/// <c>prog_name[16]</c>, <c>prog_ifindex</c> and <c>expected_attach_type</c> (offset 68); the rest zero.
/// </remarks>
internal static unsafe partial class KernelVerifier
{
    private const long BpfSyscallX64 = 321;
    private const int ProgLoad = 5;
    private const int AttrSize = 128;
    private const int LogSize = 1 << 16;

    private static readonly Lazy<string?> s_unavailable = new(FindWhyUnavailable);

    /// <summary>True if the kernel can be asked; otherwise <paramref name="whyNot"/> says why not.</summary>
    public static bool IsAvailable(out string whyNot)
    {
        whyNot = s_unavailable.Value ?? "";
        return s_unavailable.Value is null;
    }

    /// <summary>
    /// Loads <paramref name="program"/> as a program of <paramref name="kind"/>; true if the kernel accepted it, and its log.
    /// <paramref name="flags"/> are the <c>prog_flags</c> (<c>BPF_F_STRICT_ALIGNMENT</c> is 1).
    /// </summary>
    public static (bool Accepted, string Log) Load(BpfProgramKind kind, IReadOnlyList<Instruction> program, uint expectedAttachType = 0, string license = "GPL", uint flags = 0)
    {
        byte[] code = Instruction.WriteAll(program.ToArray());
        byte[] licenseBytes = Encoding.ASCII.GetBytes(license + "\0");
        byte[] log = new byte[LogSize];
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* insns = code)
        fixed (byte* lic = licenseBytes)
        fixed (byte* logBuffer = log)
        {
            *(uint*)attr = (uint)kind;
            *(uint*)(attr + 4) = (uint)program.Count;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = 1;
            *(uint*)(attr + 28) = LogSize;
            *(ulong*)(attr + 32) = (ulong)logBuffer;
            *(uint*)(attr + 44) = flags;
            *(uint*)(attr + 68) = expectedAttachType;
            long fd = Syscall(BpfSyscallX64, ProgLoad, attr, AttrSize);
            if (fd >= 0)
            {
                Close((int)fd);
                return (true, "");
            }
        }

        int length = Array.IndexOf(log, (byte)0);
        return (false, Encoding.ASCII.GetString(log, 0, length < 0 ? log.Length : length));
    }

    private static string? FindWhyUnavailable()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return $"the kernel comparison needs Linux on x86-64 (bpf is system call {BpfSyscallX64} there), not {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}";
        if (GetEffectiveUserId() != 0)
            return "the kernel comparison needs root to load BPF programs of every type";
        var (accepted, log) = Load(BpfProgramKind.SocketFilter, [new Instruction(0xb7), new Instruction(0x95)]);
        return accepted ? null : $"the kernel refused even 'r0 = 0; exit' as a socket filter (errno {Marshal.GetLastPInvokeError()}): {log}";
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attr, long size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
