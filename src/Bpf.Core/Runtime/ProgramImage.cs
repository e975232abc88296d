using Bpf.Elf.Btf;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime.Contexts;
using Bpf.Verification;

namespace Bpf.Runtime;

/// <summary>
/// A program with everything its instructions refer to bound: what engines prepare. An
/// <c>lddw</c> of a map (source 1 or 5) loads <c>Maps[imm]</c>'s handle, one of a map value (source
/// 2 or 6) the address of <c>Maps[imm]</c>'s value plus the second slot's immediate, and a kfunc
/// call (source 2) calls <c>Kfuncs[imm]</c>. The loader builds these from object files; a host can
/// build one around its own bytecode and maps.
/// </summary>
public sealed class ProgramImage
{
    private readonly Dictionary<(IBpfEngine, ExecutionOptions), BpfExecutable> _executables = new();
    private Bytecode? _executableCode;
    private VerificationResult? _verdict;
    private VerificationResult? _privilegedVerdict;

    /// <summary>Binds <paramref name="code"/> to its maps and kfuncs.</summary>
    public ProgramImage(
        Bytecode code,
        IReadOnlyList<BpfMap>? maps = null,
        IReadOnlyList<KfuncDefinition>? kfuncs = null,
        ProgramType? type = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
        Maps = maps ?? [];
        Kfuncs = kfuncs ?? [];
        Type = type ?? ProgramType.RawMemory;
        Name = name ?? code.Functions[0].Name;
    }

    /// <summary>The instructions, as the object file or the host gave them.</summary>
    public Bytecode Code { get; }

    /// <summary>
    /// The instructions as engines run them: <see cref="Code"/> with its context accesses translated
    /// for the program type's context (<see cref="ContextTranslation"/>); <see cref="Code"/> itself
    /// when the type has no context layout. Same length and numbering as <see cref="Code"/>.
    /// </summary>
    /// <exception cref="Verification.ContextAccessException">A context access is invalid for the program type.</exception>
    public Bytecode ExecutableCode => _executableCode ??= Type.Context is { HasPointerFields: true } layout ? ContextTranslation.Apply(Code, layout) : Code;

    /// <summary>The maps the program refers to, by the index its <c>lddw</c> instructions carry.</summary>
    public IReadOnlyList<BpfMap> Maps { get; }

    /// <summary>The kfuncs the program calls, by the index its kfunc calls carry.</summary>
    public IReadOnlyList<KfuncDefinition> Kfuncs { get; }

    /// <summary>The program type: what its context is.</summary>
    public ProgramType Type { get; }

    /// <summary>The program's name (its function's symbol in an object file).</summary>
    public string Name { get; }

    /// <summary>
    /// The source lines diagnostics name (a program of an object file gives its BTF line info); null
    /// when there are none.
    /// </summary>
    public Func<int, BtfLineInfo?>? SourceLines { get; init; }

    /// <summary>The object the image belongs to, or null for an image a host built; its programs refuse to run once it is disposed.</summary>
    internal BpfObject? Owner { get; init; }

    /// <summary>
    /// The object section the program came from, when it refines the type's rules
    /// (<see cref="VerifierOptions.Section"/>); null for images a host built.
    /// </summary>
    public string? Section { get; init; }

    /// <summary>True once the verifier has accepted the image (<see cref="Verify()"/>) under some policy.</summary>
    public bool IsVerified => _verdict is { IsAccepted: true } || _privilegedVerdict is { IsAccepted: true };

    /// <summary>
    /// Runs the verifier on the image under the strict policy (once; the verdict is kept): its code
    /// as its type, maps and kfuncs say, diagnostics with <see cref="SourceLines"/>.
    /// </summary>
    public VerificationResult Verify() => Verify(VerifierPolicy.Strict);

    /// <summary>Runs the verifier on the image under <paramref name="policy"/> (once per policy; the verdicts are kept).</summary>
    public VerificationResult Verify(VerifierPolicy policy)
    {
        ref var verdict = ref policy == VerifierPolicy.Strict ? ref _verdict : ref _privilegedVerdict;
        if (verdict is null)
        {
            var result = ProgramVerifier.Verify(Code, VerifierOptions.For(this, SourceLines) with { Policy = policy });
            Interlocked.CompareExchange(ref verdict, result, null);
        }

        return verdict!;
    }

    /// <summary>Verifies the image under <paramref name="policy"/> and throws when the verifier rejects it.</summary>
    /// <exception cref="VerificationException">The verifier rejects the program.</exception>
    public void EnsureVerified(VerifierPolicy policy = VerifierPolicy.Strict)
    {
        if (Verify(policy) is { IsAccepted: false } rejected)
            throw new VerificationException(Name, rejected.Diagnostics);
    }

    /// <summary>
    /// The image prepared by <paramref name="engine"/> with <paramref name="options"/>, prepared once
    /// and then reused (the target of a tail call, say). With <see cref="ProgramSafety.Verified"/> the
    /// image is verified first; with <see cref="ExecutionOptions.Safety"/> unset it runs in checked mode.
    /// </summary>
    /// <exception cref="VerificationException">Verified mode was asked for and the verifier rejects the program.</exception>
    /// <exception cref="ObjectDisposedException">The object the image belongs to has been disposed.</exception>
    public BpfExecutable GetExecutable(IBpfEngine engine, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        Owner?.ThrowIfDisposed();
        if (options.Safety == ProgramSafety.Verified)
        {
            EnsureVerified(options.VerifierPolicy);
            // Arena accesses keep their run-time checks (see BpfProgram.Prepare); everything else
            // runs with what the verifier proved.
            options = Verify(options.VerifierPolicy).ArenaAccesses.Count > 0
                ? options with { Safety = ProgramSafety.Checked }
                : options with { Facts = Verify(options.VerifierPolicy).Facts };
        }

        lock (_executables)
        {
            var key = (engine, options);
            if (!_executables.TryGetValue(key, out var executable))
            {
                executable = engine.Prepare(this, options);
                _executables[key] = executable;
            }

            return executable;
        }
    }

    /// <summary>An image of bytecode alone: raw memory context, no maps, no kfuncs.</summary>
    public static implicit operator ProgramImage(Bytecode code) => new(code);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Type}, {Code.Length} instructions)";
}
