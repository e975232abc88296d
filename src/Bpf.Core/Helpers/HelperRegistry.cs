using Bpf.Isa;

namespace Bpf.Helpers;

/// <summary>
/// The helpers programs may call, by number. <see cref="Default"/> holds the built-in helpers and
/// cannot change; <see cref="CreateDefault"/> gives a copy a host can extend with its own.
/// Engines bind helpers when they prepare a program, so later changes do not affect it.
/// </summary>
public sealed class HelperRegistry
{
    private readonly Dictionary<int, HelperDefinition> _helpers = new();

    /// <summary>Creates an empty registry.</summary>
    public HelperRegistry()
    {
    }

    private HelperRegistry(HelperRegistry source, bool readOnly)
    {
        foreach (var pair in source._helpers)
            _helpers.Add(pair.Key, pair.Value);
        IsReadOnly = readOnly;
    }

    /// <summary>The built-in helpers, read-only.</summary>
    public static HelperRegistry Default { get; } = new(BuildDefault(), readOnly: true);

    /// <summary>True if helpers cannot be added or replaced.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Every registered helper.</summary>
    public IEnumerable<HelperDefinition> All => _helpers.Values.OrderBy(h => h.Id);

    /// <summary>A new registry holding the built-in helpers, which the caller may extend.</summary>
    public static HelperRegistry CreateDefault() => new(Default, readOnly: false);

    /// <summary>Adds or replaces helper <paramref name="id"/>.</summary>
    /// <exception cref="InvalidOperationException">The registry is read-only.</exception>
    public HelperRegistry Register(int id, string name, BpfHelperFunction function)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(function);
        if (IsReadOnly)
            throw new InvalidOperationException("the default helper registry is read-only; use HelperRegistry.CreateDefault() for one you can extend");
        if (id < 0)
            throw new ArgumentOutOfRangeException(nameof(id), id, "helper numbers are not negative");
        _helpers[id] = new HelperDefinition(id, name, function);
        return this;
    }

    /// <summary>Adds or replaces the Linux helper <paramref name="helper"/>.</summary>
    public HelperRegistry Register(LinuxHelper helper, BpfHelperFunction function) =>
        Register((int)helper, LinuxHelpers.NameOf((int)helper) ?? helper.ToString(), function);

    /// <summary>Finds helper <paramref name="id"/>.</summary>
    public bool TryGet(int id, out HelperDefinition helper) => _helpers.TryGetValue(id, out helper!);

    /// <summary>Finds helper <paramref name="id"/>, or returns null.</summary>
    public HelperDefinition? Find(long id) => id is >= 0 and <= int.MaxValue && _helpers.TryGetValue((int)id, out var helper) ? helper : null;

    private static HelperRegistry BuildDefault()
    {
        var registry = new HelperRegistry();
        registry.Register(LinuxHelper.MapLookupElem, MapHelpers.Lookup);
        registry.Register(LinuxHelper.MapUpdateElem, MapHelpers.Update);
        registry.Register(LinuxHelper.MapDeleteElem, MapHelpers.Delete);
        registry.Register(LinuxHelper.MapPushElem, MapHelpers.Push);
        registry.Register(LinuxHelper.MapPopElem, MapHelpers.Pop);
        registry.Register(LinuxHelper.MapPeekElem, MapHelpers.Peek);
        registry.Register(LinuxHelper.ForEachMapElem, MapHelpers.ForEach);
        registry.Register(LinuxHelper.MapLookupPercpuElem, MapHelpers.LookupOnCpu);
        registry.Register(LinuxHelper.KtimeGetNs, TimeHelpers.KtimeGetNs);
        registry.Register(LinuxHelper.TailCall, ProgramFlowHelpers.TailCall);
        registry.Register(LinuxHelper.XdpAdjustHead, XdpHelpers.AdjustHead);
        registry.Register(LinuxHelper.XdpAdjustMeta, XdpHelpers.AdjustMeta);
        registry.Register(LinuxHelper.XdpAdjustTail, XdpHelpers.AdjustTail);
        registry.Register(LinuxHelper.ProbeRead, ProbeReadHelpers.ProbeRead);
        registry.Register(LinuxHelper.ProbeReadStr, ProbeReadHelpers.ProbeReadString);
        registry.Register(LinuxHelper.ProbeReadUser, ProbeReadHelpers.ProbeReadUser);
        registry.Register(LinuxHelper.ProbeReadKernel, ProbeReadHelpers.ProbeReadKernel);
        registry.Register(LinuxHelper.ProbeReadUserStr, ProbeReadHelpers.ProbeReadUserString);
        registry.Register(LinuxHelper.ProbeReadKernelStr, ProbeReadHelpers.ProbeReadKernelString);
        registry.Register(LinuxHelper.KtimeGetBootNs, TimeHelpers.KtimeGetBootNs);
        registry.Register(LinuxHelper.KtimeGetCoarseNs, TimeHelpers.KtimeGetCoarseNs);
        registry.Register(LinuxHelper.KtimeGetTaiNs, TimeHelpers.KtimeGetTaiNs);
        registry.Register(LinuxHelper.Jiffies64, TimeHelpers.Jiffies64);
        registry.Register(LinuxHelper.TracePrintk, PrintHelpers.TracePrintk);
        registry.Register(LinuxHelper.TraceVprintk, PrintHelpers.TraceVprintk);
        registry.Register(LinuxHelper.Snprintf, PrintHelpers.Snprintf);
        registry.Register(LinuxHelper.GetPrandomU32, RandomHelpers.GetPrandomU32);
        registry.Register(LinuxHelper.GetSmpProcessorId, ProcessorHelpers.GetSmpProcessorId);
        registry.Register(LinuxHelper.GetNumaNodeId, ProcessorHelpers.GetNumaNodeId);
        registry.Register(LinuxHelper.GetCurrentPidTgid, CurrentTaskHelpers.GetCurrentPidTgid);
        registry.Register(LinuxHelper.GetCurrentUidGid, CurrentTaskHelpers.GetCurrentUidGid);
        registry.Register(LinuxHelper.GetCurrentComm, CurrentTaskHelpers.GetCurrentComm);
        registry.Register(LinuxHelper.GetCurrentTask, CurrentTaskHelpers.GetCurrentTask);
        registry.Register(LinuxHelper.Strncmp, StringHelpers.Strncmp);
        registry.Register(LinuxHelper.Strtol, StringHelpers.Strtol);
        registry.Register(LinuxHelper.Strtoul, StringHelpers.Strtoul);
        registry.Register(LinuxHelper.CsumDiff, ChecksumHelpers.CsumDiff);
        registry.Register(LinuxHelper.Loop, CallbackHelpers.Loop);
        registry.Register(LinuxHelper.SpinLock, SpinLockHelpers.Lock);
        registry.Register(LinuxHelper.SpinUnlock, SpinLockHelpers.Unlock);
        registry.Register(LinuxHelper.RingbufOutput, RingBufferHelpers.Output);
        registry.Register(LinuxHelper.RingbufReserve, RingBufferHelpers.Reserve);
        registry.Register(LinuxHelper.RingbufSubmit, RingBufferHelpers.Submit);
        registry.Register(LinuxHelper.RingbufDiscard, RingBufferHelpers.Discard);
        registry.Register(LinuxHelper.RingbufQuery, RingBufferHelpers.Query);
        registry.Register(LinuxHelper.PerfEventOutput, PerfEventHelpers.Output);
        return registry;
    }
}
