namespace Bpf.Helpers;

/// <summary>
/// The kfuncs programs may call, by name. <see cref="Default"/> holds the built-in ones and cannot
/// change; <see cref="CreateDefault"/> gives a copy a host can extend.
/// </summary>
public sealed class KfuncRegistry
{
    private readonly Dictionary<string, KfuncDefinition> _kfuncs = new(StringComparer.Ordinal);

    /// <summary>Creates an empty registry.</summary>
    public KfuncRegistry()
    {
    }

    private KfuncRegistry(KfuncRegistry source, bool readOnly)
    {
        foreach (var pair in source._kfuncs)
            _kfuncs.Add(pair.Key, pair.Value);
        IsReadOnly = readOnly;
    }

    /// <summary>The built-in kfuncs, read-only.</summary>
    public static KfuncRegistry Default { get; } = new(BuiltInKfuncs.Create(), readOnly: true);

    /// <summary>True if kfuncs cannot be added or replaced.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Every registered kfunc.</summary>
    public IEnumerable<KfuncDefinition> All => _kfuncs.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    /// <summary>A new registry holding the built-in kfuncs, which the caller may extend.</summary>
    public static KfuncRegistry CreateDefault() => new(Default, readOnly: false);

    /// <summary>Adds or replaces the kfunc <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The registry is read-only.</exception>
    public KfuncRegistry Register(string name, BpfHelperFunction function)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(function);
        if (IsReadOnly)
            throw new InvalidOperationException("the default kfunc registry is read-only; use KfuncRegistry.CreateDefault() for one you can extend");
        _kfuncs[name] = new KfuncDefinition(name, function);
        return this;
    }

    /// <summary>
    /// Adds or replaces the kfunc <paramref name="name"/> with the prototype the verifier checks its
    /// calls against (see <see cref="KfuncDefinition.Prototype"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The registry is read-only.</exception>
    /// <exception cref="ArgumentException">The prototype is not a kfunc's or has another name.</exception>
    public KfuncRegistry Register(string name, BpfHelperFunction function, Verification.HelperPrototype prototype)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        if (!prototype.IsKfunc || prototype.Name != name)
            throw new ArgumentException($"the prototype of kfunc {name} must be a kfunc prototype (Id {Verification.HelperPrototype.KfuncId}) named {name}, not {prototype.Name}", nameof(prototype));
        Register(name, function);
        _kfuncs[name] = _kfuncs[name] with { Prototype = prototype };
        return this;
    }

    /// <summary>Finds the kfunc <paramref name="name"/>, or returns null.</summary>
    public KfuncDefinition? Find(string name) => _kfuncs.GetValueOrDefault(name);
}
