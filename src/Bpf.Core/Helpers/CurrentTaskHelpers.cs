using System.Text.Unicode;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The helpers about "the current task". User space has no kernel task; they report what the host
/// says in <see cref="ExecutionOptions.Host"/> (by default the host process and the calling thread).
/// </summary>
public static class CurrentTaskHelpers
{
    private const int CommandLength = 16; // TASK_COMM_LEN, with the NUL

    /// <summary>
    /// <c>bpf_get_current_pid_tgid</c> (helper 14): the process id (thread group id) in the upper 32
    /// bits, the thread id in the lower (<see cref="HostIdentity.CurrentThreadId"/>).
    /// </summary>
    public static ulong GetCurrentPidTgid(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        var host = invocation.Options.Host;
        return ((ulong)(uint)host.ProcessId << 32) | (uint)host.CurrentThreadId;
    }

    /// <summary><c>bpf_get_current_uid_gid</c> (helper 15): the group id in the upper 32 bits, the user id in the lower.</summary>
    public static ulong GetCurrentUidGid(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        var host = invocation.Options.Host;
        return ((ulong)host.GroupId << 32) | host.UserId;
    }

    /// <summary>
    /// <c>bpf_get_current_comm(buf, size)</c> (helper 16): the command name (UTF-8, at most 15 bytes
    /// as Linux keeps it), cut to <c>size - 1</c> bytes, NUL-terminated and padded with zeros to
    /// <c>size</c>. Returns 0.
    /// </summary>
    public static unsafe ulong GetCurrentComm(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        var buffer = new Span<byte>((void*)invocation.HelperWrite(r1, size), (int)Math.Min(size, int.MaxValue));
        if (buffer.IsEmpty)
            return 0;
        string command = invocation.Options.Host.Command;
        Span<byte> name = stackalloc byte[CommandLength * 3];
        Utf8.FromUtf16(command.AsSpan(0, Math.Min(command.Length, CommandLength)), name, out _, out int length, replaceInvalidSequences: true);
        int kept = Math.Min(Math.Min(length, CommandLength - 1), buffer.Length - 1);
        name[..kept].CopyTo(buffer);
        buffer[kept..].Clear();
        return 0;
    }

    /// <summary>
    /// <c>bpf_get_current_task</c> (helper 35): <see cref="HostIdentity.TaskAddress"/>, 0 unless the
    /// host mirrors a <c>task_struct</c>: there is no kernel task in user space, and 0 makes a
    /// program's probe reads through it fail cleanly with <c>-EFAULT</c>.
    /// </summary>
    public static ulong GetCurrentTask(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        invocation.Options.Host.TaskAddress;
}
