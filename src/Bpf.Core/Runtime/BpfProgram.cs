using Bpf.Elf;
using Bpf.Elf.Btf;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Verification;

namespace Bpf.Runtime;

/// <summary>
/// A program of a loaded <see cref="BpfObject"/>: linked code bound to the object's maps and kfuncs,
/// with its type (which the host may change until the program is first prepared) and its source
/// lines. <see cref="Prepare"/> turns it into a runnable <see cref="BpfExecutable"/> on an engine.
/// </summary>
public sealed class BpfProgram
{
    private readonly BpfObject _owner;
    private readonly IReadOnlyList<BpfMap> _maps;
    private readonly IReadOnlyList<KfuncDefinition> _kfuncs;
    private ProgramType _type;
    private ProgramImage? _image;

    internal BpfProgram(BpfObject owner, ProgramDescription description, ProgramType type, IReadOnlyList<BpfMap> maps, IReadOnlyList<KfuncDefinition> kfuncs)
    {
        _owner = owner;
        Description = description;
        _type = type;
        _maps = maps;
        _kfuncs = kfuncs;
        try
        {
            Code = Bytecode.Create(description.Instructions, description.FunctionNames);
        }
        catch (InvalidBytecodeException e)
        {
            string where = description.LineOf(e.InstructionIndex) is { } line ? $" ({line.Location})" : "";
            throw new BpfLoadException($"program {description.Name}: {e.Message}{where}", description.SectionName);
        }
    }

    /// <summary>The program's name (its function symbol).</summary>
    public string Name => Description.Name;

    /// <summary>The section it comes from.</summary>
    public string SectionName => Description.SectionName;

    /// <summary>The linked, validated code.</summary>
    public Bytecode Code { get; }

    /// <summary>What the loader read: instructions, function names, line and function info.</summary>
    public ProgramDescription Description { get; }

    /// <summary>The source lines of the instructions (empty when the object has no BTF.ext).</summary>
    public IReadOnlyList<BtfLineInfo> Lines => Description.Lines;

    /// <summary>The object the program belongs to.</summary>
    public BpfObject Object => _owner;

    /// <summary>
    /// The program type: what r1 is and how it is presented. Settable until the program is first
    /// prepared (as libbpf's <c>bpf_program__set_type</c> before load).
    /// </summary>
    /// <exception cref="InvalidOperationException">The program has been prepared already.</exception>
    public ProgramType Type
    {
        get => _type;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (_image is not null)
                throw new InvalidOperationException($"program {Name} has been prepared; set its type before that");
            _type = value;
        }
    }

    /// <summary>The image engines prepare: the code with the object's maps and kfuncs. Creating it fixes <see cref="Type"/>.</summary>
    public ProgramImage Image
    {
        get
        {
            if (_image is null)
            {
                lock (_owner.Gate)
                    _image ??= new ProgramImage(Code, _maps, _kfuncs, _type, Name) { SourceLines = LineOf, Owner = _owner, Section = SectionName };
            }

            return _image;
        }
    }

    /// <summary>
    /// Prepares the program on <paramref name="engine"/>. The first preparation of any program of
    /// the object freezes its <c>.rodata</c>, so configuration must be set before. By default the
    /// program is verified first and then runs with no run-time checks
    /// (<see cref="ProgramSafety.Verified"/>); a host opts into checked mode with
    /// <see cref="ExecutionOptions.Safety"/> <see cref="ProgramSafety.Checked"/>. Options left null
    /// are the object's (<see cref="LoadOptions.Execution"/>). A verified program that loads or
    /// stores through arena pointers still runs checked: the verifier allows such accesses at any
    /// offset, as Linux does, and only the checks keep one that misses an allocated page from
    /// faulting the process (<see cref="VerificationResult.ArenaAccesses"/>).
    /// </summary>
    /// <remarks>
    /// Hosts that reference Bpf.Jit usually call its <c>Compile()</c> extension instead, which picks
    /// the JIT (or the interpreter where dynamic code cannot run).
    /// </remarks>
    /// <exception cref="UnresolvedReferenceException">A helper is not registered in <paramref name="options"/>.</exception>
    /// <exception cref="VerificationException">The program is to be verified and the verifier rejects it (or a program in one of its program arrays).</exception>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public BpfExecutable Prepare(IBpfEngine engine, ExecutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _owner.ThrowIfDisposed();
        options ??= _owner.ExecutionDefaults;
        if (options.Safety is null)
            options = options with { Safety = ProgramSafety.Verified };
        _owner.FreezeReadOnlyData();
        if (options.Safety == ProgramSafety.Verified)
        {
            if (Verify(options.VerifierPolicy) is { IsAccepted: false } rejected)
                throw new VerificationException(Name, rejected.Diagnostics);
            VerifyTailCallTargets(options.VerifierPolicy);
            // Arena accesses keep their run-time checks; everything else runs with what the verifier proved.
            options = Verify(options.VerifierPolicy).ArenaAccesses.Count > 0
                ? options with { Safety = ProgramSafety.Checked }
                : options with { Facts = Verify(options.VerifierPolicy).Facts };
        }

        return Image.GetExecutable(engine, options);
    }

    /// <summary>
    /// Runs the verifier on the program (once; the verdict is kept): the type, maps and kfuncs of
    /// its image, diagnostics with the object's source lines. Fixes <see cref="Type"/>.
    /// </summary>
    public VerificationResult Verify() => Image.Verify();

    /// <summary>Runs the verifier on the program under <paramref name="policy"/> (see <see cref="ProgramImage.Verify(VerifierPolicy)"/>).</summary>
    public VerificationResult Verify(VerifierPolicy policy) => Image.Verify(policy);

    /// <summary>
    /// Verifies the programs in the object's program arrays (the maps this program may reach), so that a verified program
    /// never reaches an unverified one by a tail call (Linux only lets loaded programs into them).
    /// </summary>
    private void VerifyTailCallTargets(VerifierPolicy policy)
    {
        foreach (var programs in _maps.OfType<ProgramArrayMap>())
        {
            if (programs.IsDisposed)
                continue;
            for (int slot = 0; slot < programs.MaxEntries; slot++)
                programs.TailCallTarget((ulong)slot)?.EnsureVerified(policy);
        }
    }

    /// <summary>The source line of instruction <paramref name="instruction"/>, or null.</summary>
    public BtfLineInfo? LineOf(int instruction) => Description.LineOf(instruction);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Type}, {Code.Length} instructions, section {SectionName})";
}
