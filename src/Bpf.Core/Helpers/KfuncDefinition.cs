namespace Bpf.Helpers;

/// <summary>
/// A kernel function (kfunc) a program calls by name (an <c>extern</c> function in C): the loader
/// binds calls to undefined functions by name to these, and engines call them like helpers.
/// </summary>
/// <param name="Name">The C name, as the object file's symbol spells it.</param>
/// <param name="Function">The implementation: r1-r5 in, r0 out.</param>
/// <remarks>
/// The verifier checks calls of a kfunc against its prototype: the built-in kfuncs have theirs in
/// <see cref="Verification.KfuncPrototypes"/>; a host kfunc needs <see cref="Prototype"/>, or
/// programs that call it are rejected (and can then only run in checked mode).
/// </remarks>
public sealed record KfuncDefinition(string Name, BpfHelperFunction Function)
{
    /// <summary>
    /// What the verifier checks calls against (argument kinds, result, <c>KF_*</c> flags); null to
    /// use the built-in prototype of a kfunc of that name, if there is one. Its
    /// <see cref="Verification.HelperPrototype.Id"/> must be <see cref="Verification.HelperPrototype.KfuncId"/>.
    /// </summary>
    public Verification.HelperPrototype? Prototype { get; init; }

    /// <summary>True if the implementation is a static method compiled code can call directly.</summary>
    public bool IsStatic => Function.Target is null && Function.Method.IsStatic;
}
