using Bpf.Jit.Lowering;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Bpf.Aot.Emit;

/// <summary>
/// The mutable state behind a <see cref="CecilEmitter"/> while one method is written: labels
/// (resolved to the instruction that follows them, once it exists) and where each BPF
/// instruction's code starts, for the sequence points.
/// </summary>
internal sealed class CecilMethodBody
{
    private readonly List<Instruction?> _labels = [];
    private readonly List<int> _pendingLabels = [];
    private readonly List<(Instruction Branch, int Label)> _branches = [];
    private readonly List<(Instruction Switch, int[] Labels)> _switches = [];
    private readonly List<(int Pc, Instruction First)> _instructionStarts = [];
    private int _pendingPc = -1;

    public CecilMethodBody(MethodPlan plan, MethodDefinition method)
    {
        Plan = plan;
        Method = method;
        IL = method.Body.GetILProcessor();
    }

    /// <summary>The planned method.</summary>
    public MethodPlan Plan { get; }

    /// <summary>The method being written.</summary>
    public MethodDefinition Method { get; }

    /// <summary>Its IL.</summary>
    public ILProcessor IL { get; }

    /// <summary>Where the code of each BPF instruction starts, in IL order.</summary>
    public IReadOnlyList<(int Pc, Instruction First)> InstructionStarts => _instructionStarts;

    public int DefineLabel()
    {
        _labels.Add(null);
        return _labels.Count - 1;
    }

    public void MarkLabel(int label) => _pendingLabels.Add(label);

    public void MarkInstruction(int pc) => _pendingPc = pc;

    public void Append(Instruction instruction)
    {
        foreach (int label in _pendingLabels)
            _labels[label] = instruction;
        _pendingLabels.Clear();
        if (_pendingPc >= 0)
        {
            _instructionStarts.Add((_pendingPc, instruction));
            _pendingPc = -1;
        }

        IL.Append(instruction);
    }

    public void AppendBranch(Instruction branch, int label)
    {
        _branches.Add((branch, label));
        Append(branch);
    }

    public void AppendSwitch(Instruction instruction, int[] labels)
    {
        _switches.Add((instruction, labels));
        Append(instruction);
    }

    /// <summary>Points every branch at the instruction its label was marked before.</summary>
    /// <exception cref="InvalidOperationException">A label was used and never marked (a bug in the lowering).</exception>
    public void ResolveLabels()
    {
        foreach (var (branch, label) in _branches)
            branch.Operand = Target(label);
        foreach (var (instruction, labels) in _switches)
            instruction.Operand = labels.Select(Target).ToArray();
    }

    private Instruction Target(int label) =>
        _labels[label] ?? throw new InvalidOperationException($"{Plan}: label {label} is used but never marked");
}
