using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Runtime;

/// <summary>Calls that leave the running function: callbacks from helpers, tail calls, and what helpers need to know.</summary>
public sealed partial class Invocation
{
    /// <summary>The kernel's limit on tail calls in one run (<c>MAX_TAIL_CALL_CNT</c>).</summary>
    public const int MaxTailCalls = 33;

    private int _callDepth;
    private int _tailCalls;
    private ulong? _tailCallResult;

    /// <summary>The prepared program running now (the target, after a tail call); engines set it on entry.</summary>
    public BpfExecutable? Program { get; set; }

    /// <summary>
    /// The instruction that called the helper running now; engines set it before each helper and
    /// kfunc call, so a helper's error can name the call.
    /// </summary>
    public int CurrentInstruction { get; set; }

    /// <summary>
    /// Calls the running program's function <paramref name="functionHandle"/> (a value the program
    /// loaded with <c>lddw rN, func</c>) with r1-r5, as <c>bpf_loop</c> and friends call their callbacks.
    /// </summary>
    /// <returns>The function's r0.</returns>
    /// <exception cref="BpfRuntimeException">The value is not one of the program's functions, or calls nest too deep.</exception>
    public ulong CallFunction(ulong functionHandle, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        var program = Program;
        int index = FunctionHandles.Decode(functionHandle);
        if (program is null || index < 0 || index >= program.Bytecode.Functions.Count)
            Traps.BadCallTarget(functionHandle, CurrentInstruction);

        // Callbacks nest through helpers, where no static check reaches: count them here.
        if (_callDepth >= Registers.MaxCallDepth)
            Traps.CallDepthExceeded(CurrentInstruction);
        int instruction = CurrentInstruction;
        _callDepth++;
        try
        {
            return program.CallFunction(index, r1, r2, r3, r4, r5, this);
        }
        finally
        {
            _callDepth--;
            CurrentInstruction = instruction;
            Program = program;
        }
    }

    /// <summary>
    /// <c>bpf_tail_call(ctx, prog_array, index)</c>: runs the program in slot <paramref name="index"/>
    /// of the program array <paramref name="mapHandle"/> with <paramref name="context"/> in r1, on the
    /// same engine; the calling function then returns what that program returned (engines check
    /// <see cref="TakeTailCallResult"/> after the call). If the slot is empty, the map is not a program
    /// array, or the run already made <see cref="MaxTailCalls"/> tail calls, nothing happens and the
    /// program goes on, as in Linux.
    /// </summary>
    /// <returns>0 when the tail call ran; a negative errno when it did not.</returns>
    public ulong TailCall(ulong context, ulong mapHandle, ulong index)
    {
        var caller = Program;
        var target = BpfMap.FromHandle(mapHandle)?.TailCallTarget(index);
        if (caller is null || target is null || _tailCalls >= MaxTailCalls)
            return Errno.Negative(Errno.ENOENT);

        _tailCalls++;
        var executable = target.GetExecutable(caller.Engine, caller.Options);
        int instruction = CurrentInstruction;
        int floor = _frameFloor;
        var environment = Environment; // the target's engine may put its own there
        _frameFloor = _frameDepth;
        _hotLength = 0; // the cached region may be one of the caller's frames
        try
        {
            _tailCallResult = executable.EnterFromTailCall(context, this);
        }
        finally
        {
            _frameFloor = floor;
            CurrentInstruction = instruction;
            Program = caller;
            Environment = environment;
        }

        return 0;
    }

    /// <summary>
    /// After a call of <c>bpf_tail_call</c>: true, with the tail-called program's r0, when it ran
    /// (the caller must return that value at once); false when the program goes on.
    /// </summary>
    public bool TakeTailCallResult(out ulong r0)
    {
        if (_tailCallResult is { } result)
        {
            _tailCallResult = null;
            r0 = result;
            return true;
        }

        r0 = 0;
        return false;
    }

    /// <summary>Sends a line of <c>bpf_trace_printk</c> output to the host's sink (<see cref="ExecutionOptions.Trace"/>).</summary>
    public void Trace(string message) => _options.Trace?.Invoke(message);
}
