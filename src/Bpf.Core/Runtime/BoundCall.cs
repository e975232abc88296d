using Bpf.Helpers;

namespace Bpf.Runtime;

/// <summary>What a <c>call</c> instruction calls once bound: a helper by number or a kfunc by name.</summary>
/// <param name="Name">The helper's or kfunc's name, for messages and IL listings.</param>
/// <param name="Function">The implementation.</param>
/// <param name="IsTailCall">
/// True for <c>bpf_tail_call</c> (helper 12): after it, engines ask the invocation whether a tail
/// call ran (<see cref="Invocation.TakeTailCallResult"/>) and, if so, return its r0 at once.
/// </param>
public sealed record BoundCall(string Name, BpfHelperFunction Function, bool IsTailCall)
{
    /// <summary>True if the implementation is a static method compiled code can call directly.</summary>
    public bool IsStatic => Function.Target is null && Function.Method.IsStatic;
}
