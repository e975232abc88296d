namespace Bpf.Helpers;

/// <summary>The kfuncs every program may call (filled in as they are implemented).</summary>
internal static class BuiltInKfuncs
{
    public static KfuncRegistry Create() => new();
}
