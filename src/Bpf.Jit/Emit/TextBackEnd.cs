using System.Text;
using Bpf.Jit.Lowering;

namespace Bpf.Jit.Emit;

/// <summary>The back end that prints each method's IL, with its signature, locals and figures.</summary>
public sealed class TextBackEnd : IBackEnd<TextEmitter>
{
    private readonly StringBuilder _output = new();
    private StringBuilder _body = new();
    private List<Type> _locals = [];

    /// <inheritdoc/>
    public TextEmitter BeginMethod(MethodPlan method)
    {
        _body = new StringBuilder();
        _locals = [];
        return new TextEmitter(_body, _locals);
    }

    /// <inheritdoc/>
    public void EndMethod(MethodPlan method, ILMetrics metrics)
    {
        string parameters = string.Join(", ", method.ParameterTypes.Select(TextEmitter.TypeName));
        _output.Append(".method static ").Append(TextEmitter.TypeName(method.ReturnType)).Append(' ')
            .Append(method.Name).Append('(').Append(parameters).AppendLine(")");
        _output.Append("  // ").Append(method.Kind).Append(", BPF slots ").Append(method.Start).Append('-').Append(method.End - 1)
            .Append(" of function ").AppendLine(method.Function.Name);
        _output.Append("  // ").AppendLine(metrics.ToString());
        _output.Append("  .locals (").Append(string.Join(", ", _locals.Select((t, i) => $"[{i}] {TextEmitter.TypeName(t)}"))).AppendLine(")");
        _output.Append(_body);
        _output.AppendLine();
    }

    /// <summary>Everything printed so far.</summary>
    public override string ToString() => _output.ToString();
}
