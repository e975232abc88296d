namespace Bpf.Isa;

/// <summary>
/// One BPF function (the main program or a subprogram) of a <see cref="Bytecode"/>: a contiguous
/// range of instruction slots that jumps never leave. Local calls and function-address loads
/// name the first slot of a function.
/// </summary>
public sealed class BpfFunction
{
    internal BpfFunction(int index, int start, int end, string name)
    {
        Index = index;
        Start = start;
        End = end;
        Name = name;
    }

    /// <summary>The position of the function in <see cref="Bytecode.Functions"/>; 0 is the entry point.</summary>
    public int Index { get; }

    /// <summary>The first instruction slot.</summary>
    public int Start { get; }

    /// <summary>One past the last instruction slot.</summary>
    public int End { get; }

    /// <summary>The number of instruction slots.</summary>
    public int Length => End - Start;

    /// <summary>The function's name: from the object file or a label when known, else <c>main</c> or <c>func_N</c>.</summary>
    public string Name { get; }

    /// <summary>The functions this one calls directly with <c>call local</c>, without repeats.</summary>
    public IReadOnlyList<int> Callees { get; internal set; } = [];

    /// <summary>True when some <c>lddw</c> takes the function's address (a callback for a helper or <c>callx</c>).</summary>
    public bool IsAddressTaken { get; internal set; }

    /// <summary>
    /// The most frames a call of this function can need, itself included: 1 for a function that
    /// calls nothing, 1 + the deepest callee's otherwise.
    /// </summary>
    public int FrameDepth { get; internal set; }

    /// <summary>True if <paramref name="index"/> lies inside the function.</summary>
    public bool Contains(int index) => index >= Start && index < End;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{Start}, {End})";
}
