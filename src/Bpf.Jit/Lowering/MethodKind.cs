namespace Bpf.Jit.Lowering;

/// <summary>What a generated method is for.</summary>
public enum MethodKind
{
    /// <summary>A whole BPF function in one method: registers in locals, its stack frame by localloc.</summary>
    Function,
    /// <summary>
    /// The entry of a BPF function too large for one optimized method: it owns the stack frame and
    /// the register file and calls the function's region methods in turn.
    /// </summary>
    FunctionDriver,
    /// <summary>A consecutive range of a large function's instructions, entered and left through the register file.</summary>
    Region,
}
