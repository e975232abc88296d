using Bpf.Jit.Emit;

namespace Bpf.Jit.Lowering;

/// <summary>Emits every method of a plan into a back end, counting each against RyuJIT's limits.</summary>
public static class ProgramLowering
{
    /// <summary>Emits all methods of <paramref name="plan"/> into <paramref name="backEnd"/>.</summary>
    /// <returns>The figures of each method, by <see cref="MethodPlan.Id"/>.</returns>
    public static IReadOnlyList<ILMetrics> Emit<TEmitter>(ProgramPlan plan, IBackEnd<TEmitter> backEnd)
        where TEmitter : struct, IILEmitter
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(backEnd);
        var figures = new ILMetrics[plan.Methods.Count];
        foreach (var method in plan.Methods)
        {
            var emitter = new CountingEmitter<TEmitter>(backEnd.BeginMethod(method));
            new MethodLowering<CountingEmitter<TEmitter>>(emitter, plan, method).Lower();

            // The plan measured every method it split; one that is still over RyuJIT's limits
            // would silently lose optimization, which is a bug in the plan, not a slow program.
            if (plan.SplitsLargeFunctions && !emitter.Metrics.FitsWithin(ILMetrics.RyuJitLimits))
                throw new InvalidOperationException($"{method} exceeds RyuJIT's optimization limits ({emitter.Metrics}); the planner should have split it");
            backEnd.EndMethod(method, emitter.Metrics);
            figures[method.Id] = emitter.Metrics;
        }

        return figures;
    }
}
