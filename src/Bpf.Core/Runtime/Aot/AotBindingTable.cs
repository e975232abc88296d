using System.ComponentModel;
using Bpf.Helpers;

namespace Bpf.Runtime.Aot;

/// <summary>
/// What a precompiled program reaches that was not known when it was compiled: the addresses of
/// its maps' handles and values, and the helpers and kfuncs it calls through delegates. Made when
/// the program is bound; the executable puts it in <see cref="Invocation.Environment"/> on entry,
/// and the emitted code reads it there by slot.
/// </summary>
public sealed class AotBindingTable
{
    private readonly ulong[] _addresses;
    private readonly BpfHelperFunction[] _calls;

    /// <summary>Creates a table of the given addresses and calls, by slot.</summary>
    public AotBindingTable(ulong[] addresses, BpfHelperFunction[] calls)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(calls);
        _addresses = addresses;
        _calls = calls;
    }

    /// <summary>The bound addresses, by slot.</summary>
    public IReadOnlyList<ulong> Addresses => _addresses;

    /// <summary>The bound helpers and kfuncs, by slot.</summary>
    public IReadOnlyList<BpfHelperFunction> Calls => _calls;

    /// <summary>Emitted code: the address in slot <paramref name="slot"/> of the running program's table.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static ulong Address(Invocation invocation, int slot) => ((AotBindingTable)invocation.Environment!)._addresses[slot];

    /// <summary>Emitted code: the helper or kfunc in slot <paramref name="slot"/> of the running program's table.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static BpfHelperFunction Call(Invocation invocation, int slot) => ((AotBindingTable)invocation.Environment!)._calls[slot];
}
