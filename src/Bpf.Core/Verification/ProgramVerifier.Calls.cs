using Bpf.Isa;
using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>Calls: helpers by their prototypes, kfuncs, BPF-to-BPF calls, callbacks, and exits.</summary>
public sealed partial class ProgramVerifier
{
    /// <summary>
    /// A helper call, checked against its prototype (<see cref="HelperPrototypes"/>, the kernel's
    /// <c>bpf_func_proto</c>): each argument's kind and size, the map types a map argument may be,
    /// references acquired and released, packet pointers forgotten by helpers that move the packet,
    /// and the result's kind.
    /// </summary>
    private Step CallHelper(int pc, int id, VerifierState state)
    {
        string name = LinuxHelpers.NameOf(id) ?? $"helper {id}";
        var prototype = HelperPrototypes.Find(id)
            ?? throw Reject(DiagnosticCode.UnknownHelper, pc, $"{name} has no prototype in the verifier, so calls of it cannot be checked");
        if (!Rules.IsHelperAllowed(id))
            throw Reject(DiagnosticCode.UnknownHelper, pc, $"{name} is not available to {_options.Type.Name} programs (Linux offers it to other program types)");
        CheckCallUnderLock(pc, state, prototype);
        if (prototype.Arguments.Any(a => a.Kind() == HelperArgument.Function))
            return Callback(pc, (LinuxHelper)id, state, name);

        RegisterState map = RegisterState.Uninitialized;
        for (int register = 1; register <= HelperPrototype.MaxArguments; register++)
        {
            var argument = prototype.Argument(register);
            var value = argument == HelperArgument.DontCare ? RegisterState.Uninitialized : Read(pc, state, register);
            if (argument.IsNullable() && value.IsConstant && value.Value.ConstantValue == 0)
                continue;
            switch (argument.Kind())
            {
                case HelperArgument.DontCare:
                    break;
                case HelperArgument.Anything:
                    if (value.IsPointer && Strict)
                        throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"{name}: r{register} is a pointer, and the helper would see its value as a number", Describe(register, value));
                    break;
                case HelperArgument.Scalar or HelperArgument.ConstSize or HelperArgument.ConstSizeOrZero:
                    ScalarArgument(pc, state, register, name);
                    break;
                case HelperArgument.ConstAllocSizeOrZero:
                    if (!ScalarArgument(pc, state, register, name).IsConstant)
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: the size (r{register}) must be a constant", Describe(register, value));
                    break;
                case HelperArgument.MapPointer:
                    map = MapArgument(pc, state, register, name);
                    if (map.Map is { } known && !MapHelperCompatibility.IsCompatible(prototype, known.Type))
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name} cannot be used with map {known.Name} ({known.Type})", Describe(register, map));
                    break;
                case HelperArgument.MapKey:
                    state = MemoryArgument(pc, state, register, KeySizeOf(map), write: false, name, "the key");
                    break;
                case HelperArgument.MapValue:
                    state = MemoryArgument(pc, state, register, ValueSizeOf(map), write: false, name, "the value");
                    break;
                case HelperArgument.UninitMapValue:
                    state = MemoryArgument(pc, state, register, ValueSizeOf(map), write: true, name, "the value");
                    break;
                case HelperArgument.Memory or HelperArgument.WritableMemory or HelperArgument.UninitMemory:
                {
                    int size = prototype.SizeArgumentOf(register);
                    state = size > 0
                        ? SizedMemoryArgument(pc, state, register, size, write: argument.IsWritten(), name, argument.IsNullable())
                        : MemoryArgument(pc, state, register, 1, write: argument.IsWritten(), name, $"argument r{register}");
                    break;
                }

                case HelperArgument.ConstString:
                    state = MemoryArgument(pc, state, register, 1, write: false, name, "the string");
                    break;
                case HelperArgument.LongOutput or HelperArgument.IntOutput:
                {
                    int outputSize = argument.Kind() == HelperArgument.LongOutput ? 8 : 4;
                    if (value.IsPointer)
                        CheckAlignment(pc, register, value, 0, outputSize, atomic: true); // MEM_ALIGNED
                    state = MemoryArgument(pc, state, register, outputSize, write: true, name, "the result");
                    break;
                }
                case HelperArgument.Context:
                    ContextArgument(pc, state, register, name);
                    break;
                case HelperArgument.SpinLock:
                    state = SpinLockCall(pc, state, register, (LinuxHelper)id, name);
                    break;
                case HelperArgument.RingbufMemory:
                    if (value.Kind != RegisterKind.Memory || value.MaybeNull || value.Offset != 0 || !value.Value.IsConstant || !state.References.ContainsKey(value.Id))
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: r{register} must be a record from bpf_ringbuf_reserve, unchanged, after its null check", Describe(register, value));
                    break;
                default:
                    throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: argument r{register} ({argument.KernelName()}) cannot be checked yet");
            }
        }

        if (prototype.ReleasesArgument > 0)
            state = Release(state, state[prototype.ReleasesArgument].Id);
        if (prototype.ChangesPacketData)
            state = ForgetPacketPointers(state);

        RegisterState result;
        switch (prototype.Return)
        {
            case HelperReturn.Void:
                result = RegisterState.Uninitialized;
                break;
            case HelperReturn.MapValueOrNull when ConstantArrayKey(state, id, map) is not null:
            {
                // An array's element at a constant index inside it always exists (Linux 6.14+). As in
                // Linux, a value with a spin lock still gets an id, which tells its lock from others'.
                int lockId = 0;
                if (map.Map!.Definition.SpinLockOffset >= 0)
                    (state, lockId) = state.TakeId();
                result = new RegisterState(RegisterKind.MapValue, Scalar.Constant(0), Id: lockId, Map: map.Map, Size: ValueSizeOf(map), Origin: pc,
                    ReadOnly: (map.Map.Flags & BpfMapFlags.ReadOnlyProgram) != 0);
                break;
            }
            case HelperReturn.MapValueOrNull:
            {
                (state, int nullId) = state.TakeId();
                result = map.Map?.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps
                    ? new RegisterState(RegisterKind.MapPointer, Scalar.Constant(0), MaybeNull: true, Id: nullId, Size: map.Map.Definition.InnerMap?.ValueSize ?? 0, Origin: pc)
                    : new RegisterState(RegisterKind.MapValue, Scalar.Constant(0), MaybeNull: true, Id: nullId, Map: map.Map, Size: ValueSizeOf(map), Origin: pc,
                        ReadOnly: map.Map is { } m && (m.Flags & BpfMapFlags.ReadOnlyProgram) != 0);
                break;
            }

            case HelperReturn.RingbufMemoryOrNull:
            {
                var size = state[prototype.ReturnSizeArgument > 0 ? prototype.ReturnSizeArgument : 2];
                (state, int reservation) = state.TakeId();
                state = state with { References = state.References.Add(reservation, pc) };
                result = new RegisterState(RegisterKind.Memory, Scalar.Constant(0), MaybeNull: true, Id: reservation, Size: (long)size.Value.ConstantValue, Origin: pc);
                break;
            }

            default:
                result = RegisterState.UnknownScalar;
                break;
        }

        return Step.Next(pc + 1, AfterCall(state, result));
    }

    /// <summary>
    /// For <c>bpf_map_lookup_elem</c> on an array (or per-CPU array) with a key that is a constant
    /// index inside it, the stack slot the key is in, and whether the key is a spilled number (whose
    /// exact value the result then depends on) rather than zero bytes; null otherwise. Such a lookup
    /// cannot fail, so its result is not null (Linux's can_elide_value_nullness and
    /// get_constant_map_key: the key is four zero bytes, or a four-byte store of a constant at the
    /// start of a slot).
    /// </summary>
    private static (int Frame, int Slot, bool Spilled)? ConstantArrayKey(VerifierState state, int helper, RegisterState map)
    {
        if (helper != (int)LinuxHelper.MapLookupElem || map.Map is not { Type: BpfMapType.Array or BpfMapType.PercpuArray, KeySize: 4 } array)
            return null;
        var key = state[2];
        if (key.Kind != RegisterKind.Stack || !key.Value.IsConstant)
            return null;
        long offset = key.Offset + (long)key.Value.ConstantValue;
        if (offset < -StackState.FrameSize || offset + 4 > 0)
            return null;
        var stack = state.Frames[key.Frame].Stack;
        int at = (int)offset;
        int slot = StackState.SlotOf(at);
        if (stack.IsZero(at, 4))
            return (key.Frame, slot, false);
        return stack.NarrowSpillAt(at, 4) is { IsConstant: true } spilled && spilled.Value.ConstantValue < (ulong)array.MaxEntries
            ? (key.Frame, slot, true)
            : null;
    }

    /// <summary>After a helper: r1-r5 are clobbered, r0 is the result.</summary>
    private static VerifierState AfterCall(VerifierState state, RegisterState result)
    {
        for (int r = 1; r <= 5; r++)
            state = state.With(r, RegisterState.Uninitialized);
        return state.With(0, result);
    }

    private static VerifierState Release(VerifierState state, int id)
    {
        state = state with { References = state.References.Remove(id) };
        return state.WithEachRegister(id, static (r, released) => r.IsPointer && r.Id == released ? RegisterState.Uninitialized : r);
    }

    /// <summary>Helpers that move the packet make every packet pointer stale (Linux's clear_all_pkt_pointers).</summary>
    private static VerifierState ForgetPacketPointers(VerifierState state)
    {
        return state.WithEachRegister(0, static (r, _) =>
            r.Kind is RegisterKind.Packet or RegisterKind.PacketEnd or RegisterKind.PacketMeta ? RegisterState.Uninitialized : r);
    }

    private RegisterState MapArgument(int pc, VerifierState state, int register, string helper)
    {
        var map = Read(pc, state, register);
        if (map.Kind != RegisterKind.MapPointer || map.MaybeNull)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: r{register} must be a map{(map.MaybeNull ? " (this one may be null: check it first)" : "")}", Describe(register, map));
        return map;
    }

    private static int KeySizeOf(RegisterState map) => map.Map?.KeySize ?? 1;

    private static int ValueSizeOf(RegisterState map) => map.Map?.ValueSize ?? (int)map.Size;

    private RegisterState ScalarArgument(int pc, VerifierState state, int register, string helper)
    {
        var value = Read(pc, state, register);
        if (!value.IsScalar)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: r{register} must be a number, not a pointer", Describe(register, value));
        return value;
    }

    private void ContextArgument(int pc, VerifierState state, int register, string helper)
    {
        var value = Read(pc, state, register);
        if (value.Kind != RegisterKind.Context || value.Offset != 0)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: r{register} must be the program's context", Describe(register, value));
    }

    /// <summary>A pointer argument to memory of a size in the next register (a constant or a bounded number).</summary>
    private VerifierState SizedMemoryArgument(int pc, VerifierState state, int pointer, int sizeRegister, bool write, string helper, bool nullable = false)
    {
        var size = ScalarArgument(pc, state, sizeRegister, helper);
        if (size.Value.UMax > int.MaxValue)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: the size r{sizeRegister} is unbounded; bound it with a check", Describe(sizeRegister, size));
        var target = Read(pc, state, pointer);
        if (nullable && target.IsConstant && target.Value.ConstantValue == 0)
            return state;
        if (size.Value.UMax == 0)
            return state;
        return MemoryArgument(pc, state, pointer, (int)size.Value.UMax, write, helper, $"the {(write ? "output" : "input")} buffer");
    }

    /// <summary>A pointer argument to <paramref name="size"/> bytes the helper reads (initialized) or writes.</summary>
    private VerifierState MemoryArgument(int pc, VerifierState state, int register, int size, bool write, string helper, string what)
    {
        var pointer = Read(pc, state, register);
        if (pointer.Kind is not (RegisterKind.Stack or RegisterKind.MapValue or RegisterKind.Memory or RegisterKind.Packet))
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: r{register} ({what}) must point to stack, map value, packet or memory", Describe(register, pointer));
        if (pointer.Kind != RegisterKind.Stack)
            return Access(pc, state, register, pointer, 0, Math.Max(size, 1), write ? ContextAccessKind.Store : ContextAccessKind.Load, write ? RegisterState.UnknownScalar : null, helperArgument: true).State;
        return StackMemoryArgument(pc, state, register, pointer, size, write, helper, what);
    }

    /// <summary><c>bpf_loop</c> and <c>bpf_for_each_map_elem</c>: the callback runs as a function with the arguments the helper gives it.</summary>
    private Step Callback(int pc, LinuxHelper helper, VerifierState state, string name)
    {
        var registers = Enumerable.Repeat(RegisterState.Uninitialized, Registers.Count).ToArray();
        RegisterState function;
        if (helper == LinuxHelper.Loop)
        {
            ScalarArgument(pc, state, 1, name);
            function = Read(pc, state, 2);
            registers[1] = RegisterState.FromScalar(Scalar.UnsignedRange(0, (1UL << 23) - 1));
            registers[2] = CallbackContext(pc, state, 3, name);
        }
        else
        {
            var map = MapArgument(pc, state, 1, name);
            function = Read(pc, state, 2);
            registers[1] = map;
            registers[2] = new RegisterState(RegisterKind.Memory, Scalar.Constant(0), Size: KeySizeOf(map), ReadOnly: true, Origin: pc);
            registers[3] = new RegisterState(RegisterKind.MapValue, Scalar.Constant(0), Map: map.Map, Size: ValueSizeOf(map), Origin: pc);
            registers[4] = CallbackContext(pc, state, 3, name);
        }

        var flags = ScalarArgument(pc, state, 4, name);
        if (!flags.IsConstant || flags.Value.ConstantValue != 0)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: flags (r4) must be 0", Describe(4, flags));
        if (function.Kind != RegisterKind.Function)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: r2 must be a function of the program (lddw of a function)", Describe(2, function));
        int target = (int)function.Value.ConstantValue;
        return EnterFunction(pc, state, target, registers, isCallback: true);
    }

    private RegisterState CallbackContext(int pc, VerifierState state, int register, string helper)
    {
        var context = Read(pc, state, register);
        if (context.IsScalar && !(context.IsConstant && context.Value.ConstantValue == 0))
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{helper}: the callback context r{register} must be a pointer or 0", Describe(register, context));
        return context;
    }

    private Step CallLocal(int pc, int target, VerifierState state)
    {
        var registers = Enumerable.Repeat(RegisterState.Uninitialized, Registers.Count).ToArray();
        for (int r = 1; r <= 5; r++)
            registers[r] = state[r];
        return EnterFunction(pc, state, target, registers, isCallback: false);
    }

    private Step EnterFunction(int pc, VerifierState state, int target, RegisterState[] registers, bool isCallback)
    {
        if (state.Frames.Length >= MaxFrames)
            throw Reject(DiagnosticCode.InvalidStructure, pc, $"the call nests more than {MaxFrames} frames deep");
        registers[Registers.FramePointer] = RegisterState.Pointer(RegisterKind.Stack) with { Frame = state.Frames.Length };
        var frame = new FrameState([.. registers], StackState.Empty, pc + 1, _code.FunctionOf(target).Index, isCallback);
        return Step.Next(target, state with { Frames = state.Frames.Add(frame) });
    }

    private Step Exit(int pc, VerifierState state)
    {
        var frame = state.Current;
        var r0 = frame[0];
        // A static BPF-to-BPF function may return nothing (void): its caller then may not read r0.
        if (r0.Kind == RegisterKind.NotInitialized && (state.Frames.Length == 1 || frame.IsCallback))
            throw Reject(DiagnosticCode.InvalidReturnValue, pc, "r0 is not set before exit: the function must return a value");
        if (state.Frames.Length > 1)
        {
            if (r0.Kind == RegisterKind.Stack && r0.Frame == state.Frames.Length - 1)
                throw Reject(DiagnosticCode.InvalidReturnValue, pc, "returning a pointer into the function's own stack frame, which ends with it", Describe(0, r0));
            if (frame.IsCallback && (!r0.IsScalar || r0.Value.UMax > 1))
                throw Reject(DiagnosticCode.InvalidReturnValue, pc, "a callback must return 0 (go on) or 1 (stop)", Describe(0, r0));
            var caller = state with { Frames = state.Frames.RemoveAt(state.Frames.Length - 1) };
            var result = frame.IsCallback ? RegisterState.UnknownScalar : r0;
            return Step.Next(frame.ReturnTo, AfterCall(caller, result));
        }

        CheckExitUnderLock(pc, state);
        // An arena pointer is an address the host shares (Linux lets programs return it).
        if (!r0.IsScalar && r0.Kind != RegisterKind.Arena)
            throw Reject(DiagnosticCode.PointerLeak, pc, "the program returns a pointer: its value would leak to the caller", Describe(0, r0));
        if (Rules.ReturnRange is { } range && !range.Contains(r0.Value.SMin, r0.Value.SMax))
            throw Reject(DiagnosticCode.InvalidReturnValue, pc, $"{_options.Type.Name} programs must return a value in {range}, and r0 may be {r0}", Describe(0, r0));
        if (state.References.Count > 0)
        {
            var (id, origin) = state.References.First();
            string what = id < 0 ? "an iterator created"
                : _code.InfoAt(origin)?.Operation == Operation.CallKfunc ? $"a reference acquired by kfunc {KfuncNameAt(origin)}"
                : "a ring buffer record reserved";
            throw Reject(DiagnosticCode.UnreleasedReference, pc, $"{what} at instruction {origin}{SourceOf(origin)} is not released before exit (submit or discard records, destroy iterators)");
        }

        return Step.End;
    }

    private string SourceOf(int pc) => _options.SourceLines?.Invoke(pc) is { } line ? $" ({line.Location})" : "";

    private string KfuncNameAt(int pc) =>
        (uint)_code[pc].Immediate < (uint)_options.Kfuncs.Count ? _options.Kfuncs[_code[pc].Immediate].Name : "?";

    private static bool HoldsIterator(VerifierState state) => state.References.Keys.Any(id => id < 0);

    /// <summary>
    /// A kfunc call, checked against its prototype: the host's (<see cref="Helpers.KfuncDefinition.Prototype"/>)
    /// or the built-in one (<see cref="KfuncPrototypes"/>). Arguments by kind; the <c>KF_*</c> flags
    /// say what the call does besides: iterators made, advanced and destroyed in their stack slot,
    /// references acquired and released, results that may be null, and sleepable kfuncs only in
    /// sleepable programs.
    /// </summary>
    private VerifierState CallKfunc(int pc, int index, VerifierState state)
    {
        if ((uint)index >= (uint)_options.Kfuncs.Count)
            throw Reject(DiagnosticCode.UnknownHelper, pc, $"kfunc {index} is not bound");
        var kfunc = _options.Kfuncs[index];
        string name = kfunc.Name;
        var prototype = kfunc.Prototype ?? KfuncPrototypes.Find(name)
            ?? throw Reject(DiagnosticCode.UnknownHelper, pc, $"kfunc {name} has no prototype in the verifier, so calls of it cannot be checked (a host kfunc needs KfuncDefinition.Prototype)");
        if (!prototype.IsKfunc)
            throw Reject(DiagnosticCode.UnknownHelper, pc, $"kfunc {name}: its prototype is a helper's (id {prototype.Id}), not a kfunc's");
        var flags = prototype.KfuncFlags;
        if (!Rules.IsKfuncAllowed(prototype))
            throw Reject(DiagnosticCode.UnknownHelper, pc, $"program must be sleepable to call sleepable kfunc {name}: {_options.Type.Name} programs are not sleepable (SEC(\"syscall\") programs are)");
        CheckCallUnderLock(pc, state, prototype);

        int released = 0;
        var first = state[1];
        for (int register = 1; register <= HelperPrototype.MaxArguments; register++)
        {
            var argument = prototype.Argument(register);
            if (argument == HelperArgument.DontCare)
                continue;
            var value = Read(pc, state, register);
            if (argument.IsNullable() && value.IsConstant && value.Value.ConstantValue == 0)
                continue;
            switch (argument.Kind())
            {
                case HelperArgument.Anything:
                    break;
                case HelperArgument.Scalar or HelperArgument.ConstSize or HelperArgument.ConstSizeOrZero:
                    ScalarArgument(pc, state, register, name);
                    break;
                case HelperArgument.ArenaMap or HelperArgument.MapPointer:
                {
                    var map = MapArgument(pc, state, register, name);
                    if (map.Map is { } known && prototype.MapTypes is { } types && !types.Contains(known.Type))
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: map {known.Name} is a {known.Type} map, and the kfunc takes {string.Join(" or ", types)}", Describe(register, map));
                    break;
                }

                case HelperArgument.Memory or HelperArgument.WritableMemory or HelperArgument.UninitMemory:
                {
                    if ((flags & KfuncFlags.TrustedArguments) != 0)
                        TrustedArgument(pc, value, register, name);
                    int size = prototype.SizeArgumentOf(register);
                    state = size > 0
                        ? SizedMemoryArgument(pc, state, register, size, write: argument.IsWritten(), name, argument.IsNullable())
                        : MemoryArgument(pc, state, register, 1, write: argument.IsWritten(), name, $"argument r{register}");
                    break;
                }

                case HelperArgument.Context:
                    ContextArgument(pc, state, register, name);
                    break;
                case HelperArgument.IteratorState:
                    if (register != 1)
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: the iterator must be the first argument");
                    break;
                case HelperArgument.Reference:
                    if (value.MaybeNull || !value.IsPointer || value.Id == 0 || !state.References.ContainsKey(value.Id))
                        throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: r{register} must be a reference an acquiring kfunc returned, checked against null and not yet released", Describe(register, value));
                    TrustedArgument(pc, value, register, name);
                    if ((flags & KfuncFlags.Release) != 0 && released == 0)
                        released = value.Id;
                    break;
                default:
                    throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name}: argument r{register} ({argument.KernelName()}) cannot be checked yet");
            }
        }

        if ((flags & KfuncFlags.Release) != 0)
        {
            if (released == 0)
                throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{name} releases a reference (KF_RELEASE), but its prototype has no reference argument");
            state = Release(state, released);
        }

        if ((flags & (KfuncFlags.IteratorNew | KfuncFlags.IteratorNext | KfuncFlags.IteratorDestroy)) != 0)
            state = IteratorCall(pc, state, name, flags);

        RegisterState result;
        bool maybeNull = (flags & KfuncFlags.ReturnsNull) != 0;
        switch (prototype.Return)
        {
            case HelperReturn.Void:
                result = RegisterState.Uninitialized;
                break;
            case HelperReturn.ReadOnlyMemoryOrNull or HelperReturn.MemoryOrNull:
            {
                (state, int id) = state.TakeId();
                result = new RegisterState(RegisterKind.Memory, Scalar.Constant(0), MaybeNull: maybeNull, Id: id, Size: prototype.ReturnSize,
                    ReadOnly: prototype.Return == HelperReturn.ReadOnlyMemoryOrNull, Origin: pc);
                break;
            }

            case HelperReturn.FirstArgument:
                result = first with { Origin = pc };
                break;
            default:
                // Integers, and arena addresses: Linux 6.18 gives bpf_arena_alloc_pages' void * as a
                // number, which the program casts (addr_space_cast) before it dereferences it.
                result = RegisterState.UnknownScalar with { Origin = pc };
                break;
        }

        if ((flags & KfuncFlags.Acquire) != 0 && result.IsPointer)
            state = state with { References = state.References.Add(result.Id, pc) };
        return AfterCall(state, result);
    }

    /// <summary><c>KF_TRUSTED_ARGS</c> and released references: the pointer exactly as it was handed out (no offset added).</summary>
    private void TrustedArgument(int pc, RegisterState value, int register, string kfunc)
    {
        if (value.IsPointer && (value.Offset != 0 || !value.Value.IsConstant || value.Value.ConstantValue != 0))
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{kfunc}: r{register} must be the pointer as it was given, without an offset added (trusted argument)", Describe(register, value));
    }

    /// <summary>The iterator kfuncs (<c>KF_ITER_NEW</c>, <c>KF_ITER_NEXT</c>, <c>KF_ITER_DESTROY</c>) on the stack slot r1 points to.</summary>
    private VerifierState IteratorCall(int pc, VerifierState state, string name, KfuncFlags flags)
    {
        bool create = (flags & KfuncFlags.IteratorNew) != 0;
        var it = IteratorArgument(pc, state, name, expectLive: !create, out int slot);
        var frame = state.Frames[it.Frame];
        if (create)
        {
            (state, int id) = state.TakeId();
            frame = state.Frames[it.Frame];
            state = state.WithFrame(it.Frame, frame with { Stack = frame.Stack.Spill(slot, RegisterState.FromScalar(Scalar.Unknown, -id)) });
            return state with { References = state.References.Add(-id, pc) };
        }

        if ((flags & KfuncFlags.IteratorDestroy) != 0)
        {
            int id = frame.Stack.SpillAt(slot)!.Id;
            state = state.WithFrame(it.Frame, frame with { Stack = frame.Stack.Write(slot, 8, zero: false) });
            return state with { References = state.References.Remove(id) };
        }

        return state;
    }

    /// <summary>r1 of an iterator kfunc: an 8-byte aligned stack slot, holding a live iterator or not as <paramref name="expectLive"/> says.</summary>
    private RegisterState IteratorArgument(int pc, VerifierState state, string kfunc, bool expectLive, out int slot)
    {
        var it = Read(pc, state, 1);
        if (it.Kind != RegisterKind.Stack || !it.Value.IsConstant || (it.Offset + (long)it.Value.ConstantValue) % 8 != 0)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{kfunc}: r1 must point to an 8-byte aligned struct bpf_iter_num on the stack", Describe(1, it));
        slot = (int)(it.Offset + (long)it.Value.ConstantValue);
        if (slot < -StackState.FrameSize || slot + 8 > 0)
            throw Reject(DiagnosticCode.OutOfBounds, pc, $"{kfunc}: the iterator at fp{slot} is outside the frame", Describe(1, it));
        var spilled = state.Frames[it.Frame].Stack.SpillAt(slot);
        bool live = spilled is { } s && state.References.ContainsKey(s.Id) && s.Id < 0;
        if (expectLive && !live)
            throw Reject(DiagnosticCode.InvalidHelperArgument, pc, $"{kfunc}: fp{slot} holds no iterator made by bpf_iter_num_new", Describe(1, it));
        if (!expectLive && live)
            throw Reject(DiagnosticCode.UnreleasedReference, pc, $"{kfunc}: fp{slot} already holds a live iterator; destroy it first", Describe(1, it));
        return it;
    }
}
