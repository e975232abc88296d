using System.Diagnostics;

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
public sealed record HostIdentity(int ProcessId, int ThreadId, uint UserId, uint GroupId, string Command)
{
    /// <summary>The host process, as the operating system sees it.</summary>
    public static HostIdentity Current { get; } = FromProcess();

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
