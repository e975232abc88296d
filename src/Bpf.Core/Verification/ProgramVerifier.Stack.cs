namespace Bpf.Verification;

/// <summary>
/// Stack accesses, at constant and at variable offsets, by loads, stores and helpers (Linux's
/// <c>check_stack_access_within_bounds</c>, <c>check_stack_read_fixed_off</c>,
/// <c>check_stack_read_var_off</c>, <c>check_stack_write_var_off</c> and
/// <c>check_stack_range_initialized</c>).
/// </summary>
/// <remarks>
/// A variable offset is a stack pointer plus a bounded number (<c>&amp;buf[i]</c>). A read through
/// it needs every byte it may touch written, and gives a number (0 when all of them are zero); a
/// write may have written any byte of the range, so all of them become data and registers spilled
/// there are lost. Under the privileged policy, Linux lets bytes never written be read (as unknown
/// numbers) and spilled pointers be read as numbers; the strict policy refuses both.
/// </remarks>
public sealed partial class ProgramVerifier
{
    private bool Strict => _options.Policy == VerifierPolicy.Strict;

    /// <summary>A rejection only the strict policy makes: the message says so, since Linux accepts the program as root.</summary>
    private Rejection RejectStrict(DiagnosticCode code, int pc, string message, params string[] registers) =>
        Reject(code, pc, message + " (strict policy; the privileged policy allows it, as Linux does for root)", registers);

    /// <summary>
    /// The bytes [Low, High) an access of <paramref name="size"/> bytes at <paramref name="offset"/>
    /// from the stack pointer may touch, over every value of its variable part; rejects an unbounded
    /// variable part and any byte outside the frame.
    /// </summary>
    private (int Low, int High) StackBounds(int pc, int register, RegisterState pointer, long offset, long size, string access)
    {
        long fixedOffset = pointer.Offset + offset;
        long low, high;
        if (pointer.Value.IsConstant)
        {
            low = fixedOffset + (long)pointer.Value.ConstantValue;
            high = low + size;
        }
        else
        {
            if (pointer.Value.SMax >= MaxPointerOffset || pointer.Value.SMin <= -MaxPointerOffset)
            {
                throw Reject(DiagnosticCode.OutOfBounds, pc,
                    $"{access} through r{register}, a stack pointer with an unbounded variable offset: bound the index with a check first", Describe(register, pointer));
            }

            low = fixedOffset + pointer.Value.SMin;
            high = fixedOffset + pointer.Value.SMax + size;
        }

        if (low < -StackState.FrameSize || high > 0)
        {
            string where = pointer.Value.IsConstant ? $"fp{low}" : $"fp{low} to fp{high - size} (a variable offset)";
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"{access} of {size} bytes at {where}: the frame is fp-512 to fp-1", Describe(register, pointer));
        }

        return ((int)low, (int)high);
    }

    private (VerifierState State, RegisterState Loaded) StackAccess(int pc, VerifierState state, int register, RegisterState pointer,
        short offset, int size, bool write, RegisterState? stored, bool atomic = false)
    {
        var (low, high) = StackBounds(pc, register, pointer, offset, size, write ? "a stack write" : "a stack read");
        if (atomic && !pointer.Value.IsConstant)
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"an atomic operation on the stack through r{register}, which has a variable offset: Linux requires a constant one", Describe(register, pointer));
        if (!pointer.Value.IsConstant)
        {
            return write
                ? (VariableStackWrite(pc, state, register, pointer, low, high, stored), RegisterState.Uninitialized)
                : (state, VariableStackRead(pc, state, register, pointer, low, high, size));
        }

        int slot = low;
        var frame = state.Frames[pointer.Frame];
        string Involved() => Describe(register, pointer);
        if (write)
        {
            if (stored is { IsPointer: true } && (size != 8 || slot % 8 != 0))
                throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"a pointer stored with a {size}-byte store at fp{slot} would be cut (spill pointers with 8-byte aligned stores)", Involved());
            if (stored is { Kind: RegisterKind.Stack } && pointer.Frame != state.Frames.Length - 1)
                throw Reject(DiagnosticCode.PointerLeak, pc, "a stack pointer stored in a caller's frame could outlive the frame it points to (Linux refuses to spill stack pointers there)", Involved());
            bool spill = size == 8 && slot % 8 == 0 && stored is not null;

            // A narrow store of a number at the start of a slot keeps what is known of it (its low
            // bytes: Linux's narrow spill, which it keeps for root): a map key written so stays
            // known, a bounded index stored as a __u32 keeps its bounds. Zeros are kept as zero
            // bytes, which every reader of the stack understands.
            bool narrowSpill = size < 8 && slot % 8 == 0 && stored is { IsScalar: true } number && !(number.IsConstant && number.Value.ConstantValue == 0);
            if (!spill && Strict && FirstSpilledPointer(frame.Stack, slot, slot + size) is { } corrupted)
            {
                throw RejectStrict(DiagnosticCode.PointerLeak, pc,
                    $"a {size}-byte store at fp{slot} overwrites part of the pointer spilled at fp{corrupted}, leaving the rest of it readable as a number", Involved());
            }

            var stack = spill || narrowSpill
                ? frame.Stack.Spill(slot, stored!, size)
                : frame.Stack.Write(slot, size, stored is { IsConstant: true } zero && zero.Value.ConstantValue == 0);
            return (state.WithFrame(pointer.Frame, frame with { Stack = stack }), RegisterState.Uninitialized);
        }

        if (size == 8 && frame.Stack.SpillAt(slot) is { } spilled)
            return (state, spilled);
        if (size < 8 && frame.Stack.NarrowSpillAt(slot, size) is { } narrow)
            return (state, narrow);
        if (FirstSpilledPointer(frame.Stack, slot, slot + size) is { } partial)
            throw Reject(DiagnosticCode.InvalidPointerArithmetic, pc, $"a {size}-byte read of part of a pointer spilled at fp{partial}", Involved());
        if (Strict && !frame.Stack.IsInitialized(slot, size))
            throw RejectStrict(DiagnosticCode.UninitializedStack, pc, $"a read of {size} bytes at fp{slot}, which were not written on this path", Involved());
        if (frame.Stack.IsZero(slot, size))
            return (state, RegisterState.Constant(0));
        return (state, UnknownOfSize(size));
    }

    /// <summary>
    /// A load through a stack pointer with a variable offset: every byte it may read must be
    /// initialized (strict) and hold no pointer (strict); the result is 0 when all of them were
    /// stored as zeros.
    /// </summary>
    private RegisterState VariableStackRead(int pc, VerifierState state, int register, RegisterState pointer, int low, int high, int size)
    {
        var stack = state.Frames[pointer.Frame].Stack;
        CheckStackRangeReadable(pc, register, pointer, stack, low, high, $"a {size}-byte read at a variable offset");
        // Only bytes stored as zeros count, not registers spilled with the value 0, as in Linux's
        // mark_reg_stack_read (which would otherwise reject programs this accepts).
        bool zeros = true;
        for (int i = low; i < high && zeros; i++)
            zeros = stack.ByteAt(i) == StackByte.Zero;
        return zeros ? RegisterState.Constant(0) : UnknownOfSize(size);
    }

    /// <summary>
    /// A store through a stack pointer with a variable offset: any byte of the range may be written.
    /// The strict policy refuses ranges with bytes never written (they would then count as written
    /// though they may not be) or with spilled pointers (part of them would become readable), and
    /// refuses storing a pointer (it would become a number).
    /// </summary>
    private VerifierState VariableStackWrite(int pc, VerifierState state, int register, RegisterState pointer, int low, int high, RegisterState? stored)
    {
        var frame = state.Frames[pointer.Frame];
        string Involved() => Describe(register, pointer);
        if (Strict)
        {
            if (stored is { IsPointer: true })
                throw RejectStrict(DiagnosticCode.PointerLeak, pc, "a pointer stored at a variable stack offset is kept only as a number, which leaks its value", Involved());
            if (FirstSpilledPointer(frame.Stack, low, high) is { } spilled)
                throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"a store at a variable offset may overwrite part of the pointer spilled at fp{spilled}", Involved());
            for (int i = low; i < high; i++)
            {
                if (frame.Stack.ByteAt(i) == StackByte.Invalid)
                {
                    throw RejectStrict(DiagnosticCode.UninitializedStack, pc,
                        $"a store at a variable offset into fp{low} to fp{high - 1}, where fp{i} was never written: initialize the whole buffer first", Involved());
                }
            }
        }

        bool zero = stored is { IsConstant: true } value && value.Value.ConstantValue == 0;
        return state.WithFrame(pointer.Frame, frame with { Stack = frame.Stack.WriteVariable(low, high, zero) });
    }

    /// <summary>
    /// A helper's memory argument on the stack, at a constant or variable offset. Memory the helper
    /// only fills (an output at a constant offset) may be uninitialized; everything else must be
    /// readable as for a load, because at a variable offset the verifier cannot tell which bytes the
    /// helper will have written. Memory the helper writes becomes data.
    /// </summary>
    private VerifierState StackMemoryArgument(int pc, VerifierState state, int register, RegisterState pointer, int size, bool write, string helper, string what)
    {
        var (low, high) = StackBounds(pc, register, pointer, 0, size, $"{helper}: {what}");
        var frame = state.Frames[pointer.Frame];
        if (write && pointer.Value.IsConstant)
        {
            if (Strict && FirstSpilledPointer(frame.Stack, low, high) is { } spilled)
                throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"{helper}: {what} ({size} bytes at fp{low}) overwrites the pointer spilled at fp{spilled}", Describe(register, pointer));
        }
        else
        {
            CheckStackRangeReadable(pc, register, pointer, frame.Stack, low, high, $"{helper}: {what} ({size} bytes at fp{low}{(pointer.Value.IsConstant ? "" : $" to fp{high - 1}")})");
        }

        return write ? state.WithFrame(pointer.Frame, frame with { Stack = frame.Stack.Write(low, high - low, zero: false) }) : state;
    }

    /// <summary>Every byte of [<paramref name="low"/>, <paramref name="high"/>) may be read: written, and no pointer (strict policy).</summary>
    private void CheckStackRangeReadable(int pc, int register, RegisterState pointer, StackState stack, int low, int high, string what)
    {
        if (!Strict)
            return;
        for (int i = low; i < high; i++)
        {
            switch (stack.ByteAt(i))
            {
                case StackByte.Invalid:
                    throw RejectStrict(DiagnosticCode.UninitializedStack, pc, $"{what}: fp{i} was not written on this path (padding counts: clear the whole buffer first)", Describe(register, pointer));
                case StackByte.Spill when SpillHolding(stack, i) is { IsPointer: true }:
                    throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"{what}: fp{i & ~7} holds a spilled pointer, which would be read as a number", Describe(register, pointer));
            }
        }
    }

    /// <summary>
    /// Under the strict policy, an atomic read-modify-write on the stack must not hit a spilled
    /// pointer: its result, a number computed from the pointer's value, would replace it.
    /// </summary>
    private void CheckAtomicOnStack(int pc, VerifierState state, int register, RegisterState pointer, short offset, int size)
    {
        if (!Strict || pointer.Kind != RegisterKind.Stack || !pointer.Value.IsConstant)
            return;
        var (low, high) = StackBounds(pc, register, pointer, offset, size, "an atomic operation");
        if (FirstSpilledPointer(state.Frames[pointer.Frame].Stack, low, high) is { } target)
            throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"an atomic operation on the pointer spilled at fp{target} turns it into a number", Describe(register, pointer));
    }

    /// <summary>The register spilled in the slot that holds byte <paramref name="offset"/>.</summary>
    private static RegisterState? SpillHolding(StackState stack, int offset) => stack.SpillAt(offset & ~7);

    /// <summary>The slot of the first pointer spilled in [<paramref name="low"/>, <paramref name="high"/>), or null.</summary>
    private static int? FirstSpilledPointer(StackState stack, int low, int high)
    {
        for (int i = low; i < high; i++)
        {
            if (stack.ByteAt(i) == StackByte.Spill && SpillHolding(stack, i) is { IsPointer: true })
                return i & ~7;
        }

        return null;
    }

    /// <summary>A number of <paramref name="size"/> bytes, zero-extended.</summary>
    private static RegisterState UnknownOfSize(int size) => size switch
    {
        1 => UnknownByte,
        2 => UnknownHalf,
        4 => UnknownWord,
        8 => RegisterState.UnknownScalar,
        _ => RegisterState.FromScalar(Scalar.UnsignedRange(0, (1UL << (size * 8)) - 1)),
    };

    // Loads make these at almost every other instruction; registers are immutable, so one of each serves.
    private static readonly RegisterState UnknownByte = RegisterState.FromScalar(Scalar.UnsignedRange(0, byte.MaxValue));
    private static readonly RegisterState UnknownHalf = RegisterState.FromScalar(Scalar.UnsignedRange(0, ushort.MaxValue));
    private static readonly RegisterState UnknownWord = RegisterState.FromScalar(Scalar.UnsignedRange(0, uint.MaxValue));
}
