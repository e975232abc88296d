using System.Reflection.Emit;
using Bpf.Jit.Lowering;

namespace Bpf.Jit.Emit;

/// <summary>
/// The in-process back end: one <see cref="DynamicMethod"/> per planned method, compiled by
/// RyuJIT on first call, fully optimized (dynamic methods never tier). Locals are not zeroed, so
/// the stack frame costs nothing to allocate.
/// </summary>
/// <remarks>
/// The methods are anonymously hosted rather than attached to this assembly's module: RyuJIT
/// compiles a dynamic method attached to a module built for debugging without optimizations, and
/// BPF code must not run slower because the host (or this library) is a Debug build.
/// </remarks>
public sealed class DynamicMethodBackEnd : IBackEnd<DynamicMethodEmitter>
{
    private readonly DynamicMethod[] _methods;
    private readonly List<object> _constants = [];

    /// <summary>Creates the dynamic methods for every method of <paramref name="plan"/>.</summary>
    public DynamicMethodBackEnd(ProgramPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _methods = plan.Methods
            .Select(m => new DynamicMethod(m.Name, m.ReturnType, m.ParameterTypes, restrictedSkipVisibility: true)
            {
                InitLocals = false,
            })
            .ToArray();
    }

    /// <summary>The objects the code reaches through <see cref="Bpf.Runtime.Invocation.Environment"/>.</summary>
    public object[] Constants => _constants.ToArray();

    /// <summary>The dynamic method of a planned method.</summary>
    public DynamicMethod MethodOf(MethodPlan method) => _methods[method.Id];

    /// <inheritdoc/>
    public DynamicMethodEmitter BeginMethod(MethodPlan method) => new(_methods[method.Id].GetILGenerator(), this);

    /// <inheritdoc/>
    public void EndMethod(MethodPlan method, ILMetrics metrics)
    {
    }

    internal int AddConstant(object value)
    {
        int index = _constants.IndexOf(value);
        if (index >= 0)
            return index;
        _constants.Add(value);
        return _constants.Count - 1;
    }
}
