using System.Runtime.InteropServices;

namespace Bpf.Tests.Kernel;

/// <summary>
/// An object file loaded into the Linux kernel through the system's libbpf (libbpf.so.1), for
/// tests that compare our runtime with the kernel: program results by <c>BPF_PROG_TEST_RUN</c>
/// and map contents. <see cref="TryLoad"/> says why when the kernel is not available (not Linux,
/// not root, no libbpf, BPF syscalls refused), so tests can skip with that reason.
/// </summary>
internal sealed unsafe partial class KernelObject : IDisposable
{
    private const string LibBpf = "libbpf.so.1";
    private nint _object;

    private KernelObject(nint handle) => _object = handle;

    /// <summary>Opens <paramref name="path"/>, lets <paramref name="configure"/> set initial values, and loads it into the kernel.</summary>
    /// <returns>The object, or null with the reason in <paramref name="whyNot"/>.</returns>
    public static KernelObject? TryLoad(string path, out string whyNot, Action<KernelObject>? configure = null)
    {
        whyNot = "";
        if (!OperatingSystem.IsLinux())
        {
            whyNot = "the kernel comparison needs Linux";
            return null;
        }

        if (Environment.UserName != "root")
        {
            whyNot = $"the kernel comparison needs root to load BPF programs (running as {Environment.UserName})";
            return null;
        }

        nint handle;
        try
        {
            handle = bpf_object__open_file(path, 0);
        }
        catch (DllNotFoundException)
        {
            whyNot = "libbpf.so.1 is not installed (apt-get install libbpf1)";
            return null;
        }

        if (handle == 0 || handle is > -4096 and < 0)
        {
            whyNot = $"libbpf could not open {Path.GetFileName(path)} (errno {Marshal.GetLastPInvokeError()})";
            return null;
        }

        var result = new KernelObject(handle);
        configure?.Invoke(result);
        int error = bpf_object__load(handle);
        if (error != 0)
        {
            result.Dispose();
            whyNot = $"the kernel refused to load {Path.GetFileName(path)} (error {error}); BPF syscalls may be restricted here";
            return null;
        }

        return result;
    }

    /// <summary>
    /// Whether the kernel's verifier accepts program <paramref name="program"/> of the object (the
    /// others are not loaded), or null with the reason when the kernel cannot be asked.
    /// </summary>
    public static bool? Accepts(string path, string program, out string whyNot)
    {
        // First make sure loading works at all, with every program switched off.
        using (var probe = TryLoad(path, out whyNot, o => o.LoadOnly(null)))
        {
            if (probe is null)
                return null;
        }

        using var loaded = TryLoad(path, out string refused, o =>
        {
            o.LoadOnly(program);
            o.PlaceArenas();
        });
        whyNot = refused;
        return loaded is not null;
    }

    /// <summary>Loads only <paramref name="program"/> (none when null) when the object is loaded.</summary>
    public void LoadOnly(string? program)
    {
        for (nint each = bpf_object__next_program(_object, 0); each != 0; each = bpf_object__next_program(_object, each))
            bpf_program__set_autoload(each, Marshal.PtrToStringUTF8(bpf_program__name(each)) == program);
    }

    /// <summary>
    /// Gives every arena map without an address one (<c>map_extra</c>) before loading: Linux refuses
    /// programs that use an arena whose user address is set neither so nor by an <c>mmap</c>, which the
    /// system's libbpf (1.1, older than arenas) does not do.
    /// </summary>
    public void PlaceArenas()
    {
        const int ArenaType = 33;
        ulong address = 1UL << 32;
        for (nint map = bpf_object__next_map(_object, 0); map != 0; map = bpf_object__next_map(_object, map))
        {
            if (bpf_map__type(map) == ArenaType && bpf_map__map_extra(map) == 0)
            {
                Check(bpf_map__set_map_extra(map, address), $"placing arena {Marshal.PtrToStringUTF8(bpf_map__name(map))}");
                address += 1UL << 32;
            }
        }
    }

    /// <summary>Sets a map's initial value before loading (for <c>.rodata</c> configuration; libbpf names it <c>OBJ.rodata</c>, matched by suffix).</summary>
    public void SetInitialValue(string mapSuffix, byte[] value)
    {
        nint map = FindMap(mapSuffix);
        fixed (byte* bytes = value)
            Check(bpf_map__set_initial_value(map, bytes, (nuint)value.Length), $"setting the initial value of {mapSuffix}");
    }

    /// <summary>Runs an XDP or socket program on <paramref name="packet"/>: its return value and the packet after the run.</summary>
    public (uint ReturnValue, byte[] Packet) TestRun(string program, byte[] packet)
    {
        nint prog = bpf_object__find_program_by_name(_object, program);
        if (prog == 0)
            throw new InvalidOperationException($"the kernel object has no program {program}");
        int fd = bpf_program__fd(prog);
        var output = new byte[packet.Length + 512];
        fixed (byte* input = packet)
        fixed (byte* data = output)
        {
            var options = new TestRunOptions
            {
                Size = (nuint)sizeof(TestRunOptions), DataIn = input, DataOut = data,
                DataSizeIn = (uint)packet.Length, DataSizeOut = (uint)output.Length, Repeat = 1,
            };
            Check(bpf_prog_test_run_opts(fd, &options), $"BPF_PROG_TEST_RUN of {program}");
            return (options.ReturnValue, output[..(int)options.DataSizeOut]);
        }
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> in a map of the loaded object.</summary>
    public void Update(string map, byte[] key, byte[] value)
    {
        int fd = bpf_map__fd(FindMap(map));
        fixed (byte* k = key)
        fixed (byte* v = value)
            Check(bpf_map_update_elem(fd, k, v, 0), $"updating {map}");
    }

    /// <summary>The file descriptor of a map of the loaded object (to map a ring buffer's pages, say).</summary>
    public int MapDescriptor(string map) => bpf_map__fd(FindMap(map));

    /// <summary>Every entry of a map of the loaded object, by key (hex), for comparison.</summary>
    public Dictionary<string, string> Entries(string map, int keySize, int valueSize)
    {
        int fd = bpf_map__fd(FindMap(map));
        var entries = new Dictionary<string, string>();
        var key = new byte[keySize];
        var next = new byte[keySize];
        var value = new byte[valueSize];
        bool first = true;
        while (true)
        {
            fixed (byte* k = key)
            fixed (byte* n = next)
            {
                if (bpf_map_get_next_key(fd, first ? null : k, n) != 0)
                    break;
            }

            first = false;
            next.CopyTo(key, 0);
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                if (bpf_map_lookup_elem(fd, k, v) == 0)
                    entries[Convert.ToHexString(key)] = Convert.ToHexString(value);
            }
        }

        return entries;
    }

    /// <summary>Unloads the object.</summary>
    public void Dispose()
    {
        if (_object != 0)
            bpf_object__close(_object);
        _object = 0;
    }

    private nint FindMap(string name)
    {
        nint map = bpf_object__find_map_by_name(_object, name);
        if (map != 0)
            return map;
        // Internal maps are called "<object>.rodata" (truncated); look them up by their suffix.
        for (nint each = bpf_object__next_map(_object, 0); each != 0; each = bpf_object__next_map(_object, each))
        {
            string? mapName = Marshal.PtrToStringUTF8(bpf_map__name(each));
            if (mapName is not null && mapName.EndsWith(name, StringComparison.Ordinal))
                return each;
        }

        throw new InvalidOperationException($"the kernel object has no map {name}");
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
            throw new InvalidOperationException($"{what} failed in the kernel: {result}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TestRunOptions
    {
        public nuint Size;
        public byte* DataIn;
        public byte* DataOut;
        public uint DataSizeIn;
        public uint DataSizeOut;
        public void* ContextIn;
        public void* ContextOut;
        public uint ContextSizeIn;
        public uint ContextSizeOut;
        public uint ReturnValue;
        public int Repeat;
        public uint Duration;
        public uint Flags;
        public uint Cpu;
        public uint BatchSize;
    }

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint bpf_object__open_file(string path, nint options);

    [LibraryImport(LibBpf)]
    private static partial int bpf_object__load(nint obj);

    [LibraryImport(LibBpf)]
    private static partial void bpf_object__close(nint obj);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint bpf_object__find_program_by_name(nint obj, string name);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint bpf_object__find_map_by_name(nint obj, string name);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_object__next_map(nint obj, nint previous);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_map__name(nint map);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map__type(nint map);

    [LibraryImport(LibBpf)]
    private static partial ulong bpf_map__map_extra(nint map);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map__set_map_extra(nint map, ulong extra);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_object__next_program(nint obj, nint previous);

    [LibraryImport(LibBpf)]
    private static partial nint bpf_program__name(nint program);

    [LibraryImport(LibBpf)]
    private static partial int bpf_program__set_autoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(LibBpf)]
    private static partial int bpf_program__fd(nint program);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map__fd(nint map);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map__set_initial_value(nint map, void* data, nuint size);

    [LibraryImport(LibBpf)]
    private static partial int bpf_prog_test_run_opts(int fd, TestRunOptions* options);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

    [LibraryImport(LibBpf)]
    private static partial int bpf_map_get_next_key(int fd, void* key, void* next);
}
