using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Bpf.Benchmarks;

/// <summary>
/// What the running kernel's verifier says about one program of an object file: its verdict, the
/// instructions it processed and the verification time it measured itself (log level 4, the
/// kernel's <c>BPF_LOG_STATS</c>: "processed N insns ..." and "verification time X usec").
/// </summary>
/// <param name="Program">The program's name.</param>
/// <param name="Accepted">True when the kernel loaded it.</param>
/// <param name="Processed">The kernel's processed-instruction count, or -1 when the log did not give one.</param>
/// <param name="Microseconds">The kernel's verification time, or -1 when the log did not give one.</param>
/// <param name="Reason">The last lines of the kernel's log (or libbpf's error) when it refused the program.</param>
internal sealed record KernelVerdict(string Program, bool Accepted, long Processed, long Microseconds, string Reason);

/// <summary>
/// Loads object files into the kernel through the system's libbpf (libbpf.so.1) one program at a
/// time, with a log buffer at level 4, to read the kernel's own verification statistics.
/// </summary>
internal static unsafe partial class KernelVerifierReport
{
    private const string LibBpf = "libbpf.so.1";
    private const int LogSize = 1 << 20;
    private const uint LogStats = 4;

    /// <summary>Why the kernel cannot be asked here, or null when it can.</summary>
    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
            return "the kernel's verifier is only on Linux";
        if (Environment.UserName != "root")
            return $"loading BPF programs needs root (running as {Environment.UserName})";
        try
        {
            _ = libbpf_major_version();
        }
        catch (DllNotFoundException)
        {
            return "libbpf.so.1 is not installed (apt-get install libbpf1)";
        }

        return null;
    }

    /// <summary>The names of the programs in <paramref name="path"/>, as libbpf sees them, or null when libbpf cannot open it.</summary>
    public static IReadOnlyList<string>? Programs(string path)
    {
        nint obj = bpf_object__open_file(path, 0);
        if (obj == 0 || obj is > -4096 and < 0)
            return null;
        var names = new List<string>();
        for (nint program = bpf_object__next_program(obj, 0); program != 0; program = bpf_object__next_program(obj, program))
            names.Add(Marshal.PtrToStringUTF8(bpf_program__name(program))!);
        bpf_object__close(obj);
        return names;
    }

    /// <summary>
    /// The kernel's verdict on every program of <paramref name="path"/>. All programs are loaded
    /// together first (programs that tail-call each other need their peers for libbpf to fill the
    /// program arrays); when that fails, each is loaded alone to find which the kernel refuses.
    /// </summary>
    public static IReadOnlyList<KernelVerdict> VerifyAll(string path)
    {
        var names = Programs(path);
        if (names is null)
            return [];
        var together = Load(path, names);
        if (together is not null && together.All(v => v.Accepted))
            return together;
        return [.. names.Select(name => Load(path, [name])?.Single() ?? new KernelVerdict(name, false, -1, -1, $"libbpf could not open {Path.GetFileName(path)}"))];
    }

    /// <summary>Loads the programs <paramref name="selected"/> of <paramref name="path"/> (the others not) with a log each.</summary>
    private static List<KernelVerdict>? Load(string path, IReadOnlyList<string> selected)
    {
        nint obj = bpf_object__open_file(path, 0);
        if (obj == 0 || obj is > -4096 and < 0)
            return null;
        var logs = new List<(string Name, nint Program, byte[] Log, GCHandle Pin)>();
        try
        {
            for (nint each = bpf_object__next_program(obj, 0); each != 0; each = bpf_object__next_program(obj, each))
            {
                string name = Marshal.PtrToStringUTF8(bpf_program__name(each))!;
                bool wanted = selected.Contains(name);
                bpf_program__set_autoload(each, wanted);
                if (!wanted)
                    continue;
                var log = new byte[LogSize];
                var pin = GCHandle.Alloc(log, GCHandleType.Pinned);
                logs.Add((name, each, log, pin));
                bpf_program__set_log_buf(each, (byte*)pin.AddrOfPinnedObject(), LogSize);
                bpf_program__set_log_level(each, LogStats);
            }

            int error = bpf_object__load(obj);
            return [.. logs.Select(l => Verdict(l.Name, l.Log, error))];
        }
        finally
        {
            bpf_object__close(obj);
            foreach (var log in logs)
                log.Pin.Free();
        }
    }

    private static KernelVerdict Verdict(string program, byte[] log, int error)
    {
        string text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0)));
        long processed = Number(text, @"processed (\d+) insns");
        long time = Number(text, @"verification time (\d+) usec");
        return new KernelVerdict(program, error == 0, processed, time, error == 0 ? "" : Reason(text, error));
    }

    private static long Number(string log, string pattern)
    {
        var match = Regex.Match(log, pattern);
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }

    /// <summary>The kernel's complaint: the last lines of the log before its statistics, or libbpf's error number.</summary>
    private static string Reason(string log, int error)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal)
                && !l.StartsWith("stack depth", StringComparison.Ordinal))
            .ToArray();
        return lines.Length == 0 ? $"libbpf error {error} (no verifier log: the program was refused before verification)" : string.Join(" | ", lines[^Math.Min(2, lines.Length)..]);
    }

    [LibraryImport(LibBpf)]
    private static partial uint libbpf_major_version();

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint bpf_object__open_file(string path, nint options);

    [LibraryImport(LibBpf)]
    private static partial int bpf_object__load(nint obj);

    [LibraryImport(LibBpf)]
    private static partial void bpf_object__close(nint obj);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_object__next_program(nint obj, nint previous);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_program__name(nint program);

    [LibraryImport(LibBpf)]
    private static partial int bpf_program__set_autoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(LibBpf)]
    private static partial int bpf_program__set_log_level(nint program, uint level);

    [LibraryImport(LibBpf)]
    private static partial int bpf_program__set_log_buf(nint program, byte* buffer, nuint size);
}
