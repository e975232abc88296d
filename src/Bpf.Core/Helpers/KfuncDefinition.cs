namespace Bpf.Helpers;

/// <summary>
/// A kernel function (kfunc) a program calls by name (an <c>extern</c> function in C): the loader
/// binds calls to undefined functions by name to these, and engines call them like helpers.
/// </summary>
/// <param name="Name">The C name, as the object file's symbol spells it.</param>
/// <param name="Function">The implementation: r1-r5 in, r0 out.</param>
public sealed record KfuncDefinition(string Name, BpfHelperFunction Function)
{
    /// <summary>True if the implementation is a static method compiled code can call directly.</summary>
    public bool IsStatic => Function.Target is null && Function.Method.IsStatic;
}
