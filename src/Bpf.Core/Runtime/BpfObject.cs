using Bpf.Elf;
using Bpf.Elf.Btf;
using Bpf.Helpers;
using Bpf.Maps;

namespace Bpf.Runtime;

/// <summary>
/// A loaded BPF object: the maps it defines, created in pinned unmanaged memory with their initial
/// contents, its global variables, and its programs bound to them, ready to prepare on an engine.
/// Dispose it to free the maps (programs already prepared keep the maps they use alive until they
/// are collected).
/// </summary>
public sealed class BpfObject : IDisposable
{
    private readonly List<BpfMap> _maps = [];
    private readonly Dictionary<string, BpfProgram> _programs = new(StringComparer.Ordinal);
    private readonly List<BpfProgram> _programList = [];
    private readonly Dictionary<string, GlobalVariable> _variables = new(StringComparer.Ordinal);
    private int _frozen;
    private int _disposed;

    private BpfObject(BpfObjectFile file, LoadOptions options)
    {
        File = file;
        ExecutionDefaults = options.Execution;
    }

    /// <summary>What the loader read from the file.</summary>
    public BpfObjectFile File { get; }

    /// <summary>The object's name.</summary>
    public string Name => File.Name;

    /// <summary>The license the object declares (its <c>license</c> section), or null.</summary>
    public string? License => File.License;

    /// <summary>The kernel version the object declares (its <c>version</c> section), or null.</summary>
    public uint? KernelVersion => File.KernelVersion;

    /// <summary>The object's BTF, or null.</summary>
    public BtfData? Btf => File.Btf;

    /// <summary>The programs by name.</summary>
    public IReadOnlyDictionary<string, BpfProgram> Programs => _programs;

    /// <summary>The programs in file order.</summary>
    public IReadOnlyList<BpfProgram> ProgramList => _programList;

    /// <summary>The maps, global data maps included, in the order programs refer to them.</summary>
    public IReadOnlyList<BpfMap> Maps => _maps;

    /// <summary>The global variables by name (static ones too, when their name is unique).</summary>
    public IReadOnlyDictionary<string, GlobalVariable> Variables => _variables;

    /// <summary>True once the object has been disposed: its maps are gone and its programs refuse to prepare or run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The options programs are prepared with when the host gives none (<see cref="LoadOptions.Execution"/>).</summary>
    public ExecutionOptions ExecutionDefaults { get; }

    internal object Gate { get; } = new();

    /// <summary>Loads an object file.</summary>
    /// <exception cref="BpfLoadException">The file is malformed or cannot be resolved.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static BpfObject Load(string path, LoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Load(System.IO.File.ReadAllBytes(path), Path.GetFileNameWithoutExtension(path), options);
    }

    /// <summary>Loads an object file from its bytes.</summary>
    /// <exception cref="BpfLoadException">The file is malformed or cannot be resolved.</exception>
    public static BpfObject Load(ReadOnlyMemory<byte> image, string name = "object", LoadOptions? options = null)
    {
        options ??= LoadOptions.Default;
        var kfuncs = options.Kfuncs;
        var file = BpfObjectFile.Read(image, name, n => kfuncs.Find(n) is not null, options.CoreTarget);
        var result = new BpfObject(file, options);
        try
        {
            result.Create(options);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>The map called <paramref name="name"/> (a global data map is called after its section).</summary>
    /// <exception cref="KeyNotFoundException">No such map.</exception>
    public BpfMap Map(string name) =>
        _maps.FirstOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"object {Name} has no map called {name}");

    /// <summary>
    /// The map called <paramref name="name"/> as the class its type has, for the typed views:
    /// <c>Map&lt;ArrayMap&gt;("counts").AsArray&lt;ulong&gt;()</c>,
    /// <c>Map&lt;RingBufferMap&gt;("events").ReadAllAsync()</c>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such map.</exception>
    /// <exception cref="InvalidCastException">The map is of another class.</exception>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public TMap Map<TMap>(string name)
        where TMap : BpfMap
    {
        ThrowIfDisposed();
        var map = Map(name);
        return map as TMap ?? throw new InvalidCastException($"map {name} of object {Name} is a {map.GetType().Name} ({map.Type}), not a {typeof(TMap).Name}");
    }

    /// <summary>The global variable called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such variable.</exception>
    public GlobalVariable Variable(string name) =>
        _variables.TryGetValue(name, out var variable) ? variable : throw new KeyNotFoundException($"object {Name} has no global variable called {name}");

    /// <summary>
    /// Disposes the maps, which frees their memory at once unless a prepared program still holds it
    /// (then when that program is collected). Afterwards the maps, variables and programs of the
    /// object throw <see cref="ObjectDisposedException"/>, prepared programs included.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var map in _maps)
            map.Dispose();
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the object is disposed.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Freezes <c>.rodata</c> maps: called when the first program is prepared.</summary>
    internal void FreezeReadOnlyData()
    {
        if (Interlocked.Exchange(ref _frozen, 1) != 0)
            return;
        foreach (var map in _maps)
        {
            if (map is ArrayMap array && (array.Flags & BpfMapFlags.ReadOnlyProgram) != 0)
                array.Freeze();
        }
    }

    private void Create(LoadOptions options)
    {
        foreach (var description in File.Maps)
        {
            long bytes = EstimatedBytes(description.Definition);
            if (bytes > options.MaxMapBytes)
                throw new BpfLoadException($"map {description.Name} would take about {bytes:N0} bytes, more than LoadOptions.MaxMapBytes ({options.MaxMapBytes:N0})", description.SectionName);
            BpfMap map;
            try
            {
                map = MapFactory.Create(description.Definition);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PlatformNotSupportedException)
            {
                throw new BpfLoadException(e.Message, description.SectionName);
            }

            _maps.Add(map);
            if (description.InitialValue is { } initial && map is ArrayMap data)
            {
                initial.CopyTo(data.ValueAt(0));
                foreach (var variable in description.Variables)
                {
                    var global = new GlobalVariable(variable.Name, data, variable.Offset, variable.Size, variable.IsStatic);
                    if (!_variables.TryAdd(variable.Name, global) && !variable.IsStatic)
                        _variables[variable.Name] = global; // a global wins over a static of the same name
                }
            }
        }

        var kfuncs = File.Kfuncs.Select(name => options.Kfuncs.Find(name)
            ?? throw new BpfLoadException($"kfunc {name} is not registered")).ToList();
        foreach (var description in File.Programs)
        {
            var type = options.ProgramTypes.GetValueOrDefault(description.Name)
                ?? options.ProgramTypes.GetValueOrDefault(description.SectionName)
                ?? ProgramType.ForSection(description.SectionName);
            var program = new BpfProgram(this, description, type, _maps, kfuncs);
            if (!_programs.TryAdd(program.Name, program))
                throw new BpfLoadException($"two programs are called {program.Name}", description.SectionName);
            _programList.Add(program);
        }

        for (int i = 0; i < File.Maps.Count; i++)
        {
            foreach (var initializer in File.Maps[i].Initializers)
                Initialize(_maps[i], initializer);
        }
    }

    /// <summary>Roughly what a map of <paramref name="definition"/> allocates up front.</summary>
    private static long EstimatedBytes(BpfMapDefinition definition)
    {
        long entries = Math.Max(definition.MaxEntries, 0);
        return definition.Type switch
        {
            BpfMapType.Arena => entries * 4096,
            BpfMapType.Ringbuf => entries,
            BpfMapType.PercpuArray or BpfMapType.PercpuHash or BpfMapType.LruPercpuHash =>
                entries * (Math.Max(definition.KeySize, 0) + 16 + (long)((Math.Max(definition.ValueSize, 0) + 7) & ~7) * CpuSlots.Count),
            _ => entries * (Math.Max(definition.KeySize, 0) + 16 + (long)((Math.Max(definition.ValueSize, 0) + 7) & ~7)),
        };
    }

    private void Initialize(BpfMap map, MapSlotInitializer initializer)
    {
        try
        {
            if (initializer.IsProgram)
            {
                var program = _programs.GetValueOrDefault(initializer.SymbolName)
                    ?? throw new BpfLoadException($"map {map.Name}: slot {initializer.Slot} refers to {initializer.SymbolName}, which is not a program of the object");
                if (map is not ProgramArrayMap programs)
                    throw new BpfLoadException($"map {map.Name}: only program arrays hold programs");
                programs.SetProgram(initializer.Slot, program.Image);
                return;
            }

            var inner = _maps.FirstOrDefault(m => m.Name == initializer.SymbolName)
                ?? throw new BpfLoadException($"map {map.Name}: slot {initializer.Slot} refers to {initializer.SymbolName}, which is not a map of the object");
            switch (map)
            {
                case ArrayOfMapsMap array:
                    array.SetInnerMap(initializer.Slot, inner);
                    break;
                case HashOfMapsMap hash:
                    // A hash of maps keyed by 4-byte integers, as libbpf fills it from .values.
                    hash.SetInnerMap(BitConverter.GetBytes(initializer.Slot), inner);
                    break;
                default:
                    throw new BpfLoadException($"map {map.Name}: only map-in-map types hold maps");
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or BpfMapException)
        {
            throw new BpfLoadException($"map {map.Name}: slot {initializer.Slot} ({initializer.SymbolName}): {e.Message}");
        }
    }
}
