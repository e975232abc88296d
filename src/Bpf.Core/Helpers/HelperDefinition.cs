namespace Bpf.Helpers;

/// <summary>A helper a program can call by number.</summary>
/// <param name="Id">The helper number: the immediate of the <c>call</c> instruction.</param>
/// <param name="Name">The helper's name, as C code calls it (e.g. <c>bpf_ktime_get_ns</c>).</param>
/// <param name="Function">The implementation.</param>
public sealed record HelperDefinition(int Id, string Name, BpfHelperFunction Function)
{
    /// <summary>True if the implementation is a static method compiled code can call directly.</summary>
    public bool IsStatic => Function.Target is null && Function.Method.IsStatic;
}
