using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Bpf.Runtime;

/// <summary>
/// The "current task" helpers report (<c>bpf_get_current_pid_tgid</c>, <c>_uid_gid</c>, <c>_comm</c>):
/// in user space there is no kernel task, so the host says what programs see; by default the
/// host process and thread.
/// </summary>
/// <param name="ProcessId">The thread group id (the process id), the high half of pid_tgid.</param>
/// <param name="ThreadId">The thread id, the low half of pid_tgid; 0 means "the calling thread's id".</param>
/// <param name="UserId">The user id.</param>
/// <param name="GroupId">The group id.</param>
/// <param name="Command">The command name (<c>comm</c>, at most 15 bytes are reported).</param>
public sealed partial record HostIdentity(int ProcessId, int ThreadId, uint UserId, uint GroupId, string Command)
{
    [ThreadStatic]
    private static int t_threadId;

    /// <summary>The host process, as the operating system sees it.</summary>
    public static HostIdentity Current { get; } = FromProcess();

    /// <summary>
    /// What <c>bpf_get_current_task</c> (helper 35) returns. User space has no kernel
    /// <c>task_struct</c>, so by default 0: a program's probe reads through it then fail cleanly
    /// with <c>-EFAULT</c>, as reads through a null pointer do in Linux. A host that mirrors a task
    /// structure for tracing programs can put its address here and the memory in
    /// <see cref="ExecutionOptions.ProbeRegions"/>.
    /// </summary>
    public ulong TaskAddress { get; init; }

    /// <summary>
    /// The thread id programs see (the low half of <c>bpf_get_current_pid_tgid</c>):
    /// <see cref="ThreadId"/>, or when that is 0 the operating system's id of the calling thread
    /// (Linux's <c>gettid</c>; the managed thread id elsewhere).
    /// </summary>
    public int CurrentThreadId => ThreadId != 0 ? ThreadId : CallingThreadId();

    private static int CallingThreadId()
    {
        if (t_threadId == 0)
            t_threadId = OperatingSystemThreadId();
        return t_threadId;
    }

    private static int OperatingSystemThreadId()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                return GetTid();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A C library without gettid (glibc before 2.30): the managed id still tells threads apart.
            }
        }

        return Environment.CurrentManagedThreadId;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    private static HostIdentity FromProcess()
    {
        using var process = Process.GetCurrentProcess();
        uint uid = 0, gid = 0;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                foreach (string line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("Uid:", StringComparison.Ordinal))
                        uid = uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                    else if (line.StartsWith("Gid:", StringComparison.Ordinal))
                        gid = uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
            }
        }

        return new HostIdentity(Environment.ProcessId, 0, uid, gid, process.ProcessName);
    }
}
