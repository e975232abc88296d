using System.ComponentModel;
using Bpf.Maps;

namespace Bpf.Runtime.Aot;

/// <summary>
/// The base of the classes <c>bpfjit aot</c> writes, one per BPF object: it loads the object file
/// embedded in the assembly (creating its maps and global data, as <see cref="BpfObject.Load(ReadOnlyMemory{byte}, string, LoadOptions?)"/>
/// does), and binds each program's precompiled code to it on first use, without verifying again
/// (the verifier ran when the assembly was written; its verdict is in each program's manifest).
/// The emitted class adds a property per program, map and global variable. Dispose it to free the
/// maps.
/// </summary>
public abstract class PrecompiledObject : IDisposable
{
    private readonly Dictionary<string, PrecompiledProgram> _precompiled = new(StringComparer.Ordinal);
    private readonly ExecutionOptions _checkedOptions;
    private readonly ExecutionOptions _uncheckedOptions;
    private readonly Engine _engine;

    /// <summary>Loads the embedded object and pairs its programs with their precompiled code.</summary>
    /// <param name="objectFile">The ELF object the assembly was written from.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="programs">The precompiled programs.</param>
    /// <param name="options">
    /// How programs run: the helpers (host helpers registered at run time are bound by number), the
    /// trace sink, the budget... Checked mode is the code's own: each program runs with its
    /// manifest's. Null means <see cref="ExecutionOptions.Default"/>.
    /// </param>
    /// <param name="loadOptions">How to load the object (kfuncs, program types); null for the defaults.</param>
    /// <exception cref="Elf.BpfLoadException">The embedded object does not load.</exception>
    /// <exception cref="AotBindingException">A precompiled program has no program of its name in the object.</exception>
    protected PrecompiledObject(ReadOnlySpan<byte> objectFile, string name, PrecompiledProgram[] programs, ExecutionOptions? options, LoadOptions? loadOptions)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(programs);
        options ??= ExecutionOptions.Default;
        _checkedOptions = options with { Safety = ProgramSafety.Checked };
        // Code written without checks was verified when it was written (its manifest records the
        // verdict and the fingerprint of the code it judged), so binding does not verify it again.
        _uncheckedOptions = options with { Safety = ProgramSafety.Trusted };
        Object = BpfObject.Load(objectFile.ToArray(), name, loadOptions);
        try
        {
            foreach (var program in programs)
            {
                if (!Object.Programs.ContainsKey(program.Name))
                    throw new AotBindingException(program.Name, $"object {name} has no program of that name");
                _precompiled.Add(program.Name, program);
            }
        }
        catch
        {
            Object.Dispose();
            throw;
        }

        _engine = new Engine(this);
    }

    /// <summary>The loaded object: its maps, global variables and programs.</summary>
    public BpfObject Object { get; }

    /// <summary>The precompiled programs by name.</summary>
    public IReadOnlyDictionary<string, PrecompiledProgram> PrecompiledPrograms => _precompiled;

    /// <summary>
    /// The program called <paramref name="name"/>, bound to the object's maps and ready to run
    /// (bound once, then reused). The first program bound freezes the object's <c>.rodata</c>, so
    /// set configuration variables before.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No precompiled program has that name.</exception>
    /// <exception cref="AotBindingException">The program cannot be bound (a helper it calls is not registered, say).</exception>
    public BpfExecutable Program(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_precompiled.TryGetValue(name, out var precompiled))
            throw new KeyNotFoundException($"object {Object.Name} has no precompiled program called {name}");
        Object.FreezeReadOnlyData();
        return Object.Programs[name].Image.GetExecutable(_engine, precompiled.Checked ? _checkedOptions : _uncheckedOptions);
    }

    /// <summary>Frees the object's maps.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the object's maps when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            Object.Dispose();
    }

    /// <summary>Emitted code: map <paramref name="index"/> of the object.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected BpfMap MapAt(int index) => Object.Maps[index];

    /// <summary>Emitted code: the global variable called <paramref name="name"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected GlobalVariable VariableNamed(string name) => Object.Variable(name);

    /// <summary>
    /// Prepares the object's programs from their precompiled code: what <see cref="Program"/> uses,
    /// and what tail calls between the object's programs prepare their targets with.
    /// </summary>
    private sealed class Engine(PrecompiledObject owner) : IBpfEngine
    {
        public string Name => "aot";

        public BpfExecutable Prepare(ProgramImage image, ExecutionOptions options)
        {
            var program = owner.Object.ProgramList.FirstOrDefault(p => ReferenceEquals(p.Image, image));
            if (program is null || !owner._precompiled.TryGetValue(program.Name, out var precompiled))
                throw new AotBindingException(image.Name, $"it is not a precompiled program of object {owner.Object.Name}");
            return precompiled.Bind(image, options, this);
        }
    }
}
