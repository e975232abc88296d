using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// Throw helpers for compiled code and the interpreter. They never return, so a check that calls
/// one stays small enough to inline and compiled code needs no exception regions of its own.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Traps
{
    /// <summary>Stops the program: an access outside every region it may use, or a store to a read-only one.</summary>
    [DoesNotReturn]
    public static void OutOfBounds(Invocation invocation, ulong address, int size, bool write, int instruction)
    {
        string access = write ? "store" : "load";
        if (write && invocation.RegionContaining(address) is { Writable: false })
        {
            throw new BpfRuntimeException(TrapKind.ReadOnlyMemory, instruction,
                $"{access} of {size} bytes at 0x{address:x} targets read-only memory");
        }

        throw new BpfRuntimeException(TrapKind.OutOfBounds, instruction,
            $"out-of-bounds {access} of {size} bytes at 0x{address:x}: the address is in no region the program may use (its input, its stack frames)");
    }

    /// <summary>Stops the program: an atomic operation on an address not aligned to its size.</summary>
    [DoesNotReturn]
    public static void Misaligned(ulong address, int size, int instruction) =>
        throw new BpfRuntimeException(TrapKind.Misaligned, instruction,
            $"atomic access of {size} bytes at 0x{address:x} is not aligned to {size} bytes");

    /// <summary>Stops the program: it ran out of instruction budget.</summary>
    [DoesNotReturn]
    public static void BudgetExhausted(long budget, int instruction) =>
        throw new BpfRuntimeException(TrapKind.BudgetExhausted, instruction,
            $"the program ran more than {budget} instructions and was stopped (instruction budget exhausted; is there a loop that never ends?)");

    /// <summary>Stops the program: calls nested deeper than the frame limit.</summary>
    [DoesNotReturn]
    public static void CallDepthExceeded(int instruction) =>
        throw new BpfRuntimeException(TrapKind.CallDepthExceeded, instruction,
            $"calls nest deeper than {Isa.Registers.MaxCallDepth} frames");

    /// <summary>Stops the program: <c>callx</c> named nothing callable.</summary>
    [DoesNotReturn]
    public static ulong BadCallTarget(ulong target, int instruction) =>
        throw new BpfRuntimeException(TrapKind.BadCallTarget, instruction,
            $"callx target {target} (0x{target:x}) is not a helper number or function the program can call");

    /// <summary>Stops the program: an instruction needs something nothing resolved (a map, a kfunc).</summary>
    [DoesNotReturn]
    public static void Unresolved(string what, int instruction) =>
        throw new BpfRuntimeException(TrapKind.Unresolved, instruction, what);
}
