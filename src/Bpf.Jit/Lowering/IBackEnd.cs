using Bpf.Jit.Emit;

namespace Bpf.Jit.Lowering;

/// <summary>
/// Where the lowering's methods go. A back end knows every planned method before the first body
/// is emitted, so calls between generated methods can name methods not yet written.
/// </summary>
/// <typeparam name="TEmitter">The back end's emitter.</typeparam>
public interface IBackEnd<TEmitter>
    where TEmitter : struct, IILEmitter
{
    /// <summary>Starts the body of <paramref name="method"/>.</summary>
    TEmitter BeginMethod(MethodPlan method);

    /// <summary>Finishes the body of <paramref name="method"/>; <paramref name="metrics"/> are its figures.</summary>
    void EndMethod(MethodPlan method, ILMetrics metrics);
}
