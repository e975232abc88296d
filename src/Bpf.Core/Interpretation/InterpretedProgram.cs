using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Runtime;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Interpretation;

/// <summary>
/// The reference interpreter: executes one instruction at a time, straight from the ISA's
/// definitions, so that it is obviously correct. It is the oracle the JIT and every later engine
/// are tested against, not a fast path.
/// </summary>
/// <remarks>
/// Each function call gets its own 512-byte frame. Across a call, r6-r9 are preserved as the ISA
/// requires, and r1-r5 are also left as they were (the ISA leaves them undefined; compiled code
/// keeps them, and the engines must agree). A callee starts with r0 and r6-r9 zero.
/// </remarks>
[SkipLocalsInit]
public sealed class InterpretedProgram : BpfExecutable
{
    private const int SavedRegisters = 9; // r1-r9 of a caller

    private readonly OpcodeInfo?[] _infos;
    private readonly ProgramReferences _references;

    internal InterpretedProgram(ProgramImage image, ExecutionOptions options)
        : base(image, options)
    {
        var bytecode = image.ExecutableCode;
        _infos = new OpcodeInfo?[bytecode.Length];
        for (int pc = 0; pc < bytecode.Length; pc++)
            _infos[pc] = bytecode.InfoAt(pc);
        _references = ProgramReferences.Resolve(image, options);
    }

    /// <inheritdoc/>
    public override IBpfEngine Engine => InterpreterEngine.Instance;

    /// <inheritdoc/>
    public override ulong CallFunction(int functionIndex, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        Interpret(Bytecode.Functions[functionIndex].Start, r1, r2, r3, r4, r5, invocation);

    /// <inheritdoc/>
    protected override ulong Execute(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        Interpret(0, r1, r2, r3, r4, r5, invocation);

    private unsafe ulong Interpret(int entry, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        bool isChecked = Options.Checked;
        var slots = Bytecode.Instructions;
        var infos = _infos;

        byte* stack = stackalloc byte[Registers.MaxCallDepth * Registers.StackFrameSize];
        Span<ulong> r = stackalloc ulong[Registers.Count];
        Span<ulong> saved = stackalloc ulong[Registers.MaxCallDepth * SavedRegisters];
        Span<int> returnTo = stackalloc int[Registers.MaxCallDepth];
        int depth = 0;

        r.Clear();
        r[1] = r1;
        r[2] = r2;
        r[3] = r3;
        r[4] = r4;
        r[5] = r5;
        r[10] = EnterFrame(stack, 0, isChecked, invocation, entry);

        int pc = entry;
        while (true)
        {
            // The budget is the invocation's, so that it also covers callbacks and tail calls.
            if (isChecked)
                invocation.ConsumeBudget(1, pc);

            var insn = slots[pc];
            var info = infos[pc]!;
            int dst = insn.Dst;
            bool is64 = info.Is64;
            ulong operand = info.UsesSourceRegister ? r[insn.Src] : is64 ? (ulong)(long)insn.Immediate : (uint)insn.Immediate;

            switch (info.Operation)
            {
                case Operation.Add or Operation.Sub or Operation.Mul or Operation.Div or Operation.SDiv
                    or Operation.Or or Operation.And or Operation.Lsh or Operation.Rsh or Operation.Neg
                    or Operation.Mod or Operation.SMod or Operation.Xor or Operation.Mov or Operation.MovSx
                    or Operation.Arsh:
                    r[dst] = AluSemantics.Evaluate(info, r[dst], operand);
                    pc++;
                    break;

                case Operation.AddressSpaceCast:
                    r[dst] = insn.Immediate == 1
                        ? MapOperations.AddressSpaceCastToProgram(r[insn.Src], _references.ArenaHigh)
                        : MapOperations.AddressSpaceCast(r[insn.Src], _references.ArenaHigh);
                    pc++;
                    break;

                case Operation.ToLe:
                    r[dst] = info.Bits switch { 16 => (ushort)r[dst], 32 => (uint)r[dst], _ => r[dst] };
                    pc++;
                    break;

                case Operation.ToBe or Operation.Swap:
                    r[dst] = info.Bits switch
                    {
                        16 => BinaryPrimitives.ReverseEndianness((ushort)r[dst]),
                        32 => BinaryPrimitives.ReverseEndianness((uint)r[dst]),
                        _ => BinaryPrimitives.ReverseEndianness(r[dst]),
                    };
                    pc++;
                    break;

                case Operation.Ja:
                    pc += 1 + insn.Offset;
                    break;

                case Operation.Ja32:
                    pc += 1 + insn.Immediate;
                    break;

                case >= Operation.Jeq and <= Operation.Jsle:
                    pc += AluSemantics.IsTaken(info, r[dst], operand) ? 1 + insn.Offset : 1;
                    break;

                case Operation.Call or Operation.CallKfunc:
                {
                    var call = _references.CallAt(pc);
                    invocation.CurrentInstruction = pc;
                    r[0] = call.Function(r[1], r[2], r[3], r[4], r[5], invocation);
                    if (call.IsTailCall && invocation.TakeTailCallResult(out ulong result))
                    {
                        // The tail-called program replaced the current function: return its r0.
                        r[0] = result;
                        goto case Operation.Exit;
                    }

                    pc++;
                    break;
                }

                case Operation.Callx:
                {
                    var helper = invocation.Helpers.Find((long)r[dst]);
                    if (helper is null)
                        Traps.BadCallTarget(r[dst], pc);
                    invocation.CurrentInstruction = pc;
                    r[0] = helper.Function(r[1], r[2], r[3], r[4], r[5], invocation);
                    pc++;
                    break;
                }

                case Operation.CallLocal:
                {
                    if (depth + 1 >= Registers.MaxCallDepth)
                        Traps.CallDepthExceeded(pc);
                    r.Slice(1, SavedRegisters).CopyTo(saved.Slice(depth * SavedRegisters, SavedRegisters));
                    returnTo[depth] = pc + 1;
                    depth++;
                    r[0] = 0;
                    r.Slice(Registers.FirstCalleeSaved, 4).Clear();
                    r[10] = EnterFrame(stack, depth, isChecked, invocation, pc);
                    pc += 1 + insn.Immediate;
                    break;
                }

                case Operation.Exit:
                    if (isChecked)
                        invocation.LeaveFrame();
                    if (depth == 0)
                        return r[0];
                    depth--;
                    saved.Slice(depth * SavedRegisters, SavedRegisters).CopyTo(r.Slice(1, SavedRegisters));
                    r[10] = (ulong)(stack + (depth + 1) * Registers.StackFrameSize);
                    pc = returnTo[depth];
                    break;

                case Operation.Load or Operation.LoadSx:
                {
                    ulong address = r[insn.Src] + (ulong)(long)insn.Offset;
                    byte* p = (byte*)(isChecked ? invocation.CheckRead(address, info.AccessSize, pc) : (nint)address);
                    r[dst] = info.Operation == Operation.Load ? LoadZeroExtended(p, info.AccessSize) : LoadSignExtended(p, info.AccessSize);
                    pc++;
                    break;
                }

                case Operation.StoreImm or Operation.Store:
                {
                    ulong address = r[dst] + (ulong)(long)insn.Offset;
                    byte* p = (byte*)(isChecked ? invocation.CheckWrite(address, info.AccessSize, pc) : (nint)address);
                    ulong value = info.Operation == Operation.Store ? r[insn.Src] : (ulong)(long)insn.Immediate;
                    Store(p, info.AccessSize, value);
                    pc++;
                    break;
                }

                case >= Operation.AtomicAdd and <= Operation.StoreRelease:
                {
                    bool writes = info.Operation != Operation.LoadAcquire;
                    var baseRegister = info.Operation == Operation.LoadAcquire ? insn.Src : dst;
                    ulong address = r[baseRegister] + (ulong)(long)insn.Offset;
                    nint p = isChecked ? invocation.CheckAtomic(address, info.AccessSize, writes, pc) : (nint)address;
                    Atomic(info, p, insn, r);
                    pc++;
                    break;
                }

                case Operation.LoadImm64:
                    r[dst] = _references.Immediate64At(pc);
                    pc += 2;
                    break;

                case Operation.LoadPacketAbsolute:
                    r[0] = invocation.LoadPacket(insn.Immediate, info.AccessSize);
                    pc++;
                    break;

                case Operation.LoadPacketIndirect:
                    r[0] = invocation.LoadPacket((int)((uint)r[insn.Src] + (uint)insn.Immediate), info.AccessSize);
                    pc++;
                    break;

                default:
                    throw new InvalidOperationException($"instruction {pc}: the interpreter has no case for {info.Operation}");
            }
        }
    }

    private static unsafe ulong EnterFrame(byte* stack, int depth, bool isChecked, Invocation invocation, int pc)
    {
        byte* frame = stack + depth * Registers.StackFrameSize;
        new Span<byte>(frame, Registers.StackFrameSize).Clear();
        if (isChecked)
            invocation.EnterFrame((nint)frame, pc);
        return (ulong)(frame + Registers.StackFrameSize);
    }

    private static unsafe ulong LoadZeroExtended(byte* p, int size) => size switch
    {
        1 => *p,
        2 => Unsafe.ReadUnaligned<ushort>(p),
        4 => Unsafe.ReadUnaligned<uint>(p),
        _ => Unsafe.ReadUnaligned<ulong>(p),
    };

    private static unsafe ulong LoadSignExtended(byte* p, int size) => size switch
    {
        1 => (ulong)*(sbyte*)p,
        2 => (ulong)Unsafe.ReadUnaligned<short>(p),
        _ => (ulong)Unsafe.ReadUnaligned<int>(p),
    };

    private static unsafe void Store(byte* p, int size, ulong value)
    {
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
            case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
            default: Unsafe.WriteUnaligned(p, value); break;
        }
    }

    private static unsafe void Atomic(OpcodeInfo info, nint address, Instruction insn, Span<ulong> r)
    {
        int src = insn.Src;
        if (info.Operation == Operation.LoadAcquire)
        {
            r[insn.Dst] = info.AccessSize switch
            {
                1 => Volatile.Read(ref *(byte*)address),
                2 => Volatile.Read(ref *(ushort*)address),
                4 => Volatile.Read(ref *(uint*)address),
                _ => Volatile.Read(ref *(ulong*)address),
            };
            return;
        }

        if (info.Operation == Operation.StoreRelease)
        {
            switch (info.AccessSize)
            {
                case 1: Volatile.Write(ref *(byte*)address, (byte)r[src]); break;
                case 2: Volatile.Write(ref *(ushort*)address, (ushort)r[src]); break;
                case 4: Volatile.Write(ref *(uint*)address, (uint)r[src]); break;
                default: Volatile.Write(ref *(ulong*)address, r[src]); break;
            }

            return;
        }

        if (info.AccessSize == 8)
        {
            ref long target = ref *(long*)address;
            long value = (long)r[src];
            long old = info.Operation switch
            {
                Operation.AtomicAdd => Interlocked.Add(ref target, value) - value,
                Operation.AtomicOr => Interlocked.Or(ref target, value),
                Operation.AtomicAnd => Interlocked.And(ref target, value),
                Operation.AtomicXor => AtomicOperations.FetchXor64(address, value),
                Operation.AtomicXchg => Interlocked.Exchange(ref target, value),
                Operation.AtomicCmpXchg => Interlocked.CompareExchange(ref target, value, (long)r[0]),
                _ => throw new InvalidOperationException($"{info.Operation} is not an atomic operation"),
            };
            if (info.Operation == Operation.AtomicCmpXchg)
                r[0] = (ulong)old;
            else if (info.Fetch)
                r[src] = (ulong)old;
        }
        else
        {
            ref int target = ref *(int*)address;
            int value = (int)r[src];
            int old = info.Operation switch
            {
                Operation.AtomicAdd => Interlocked.Add(ref target, value) - value,
                Operation.AtomicOr => Interlocked.Or(ref target, value),
                Operation.AtomicAnd => Interlocked.And(ref target, value),
                Operation.AtomicXor => AtomicOperations.FetchXor32(address, value),
                Operation.AtomicXchg => Interlocked.Exchange(ref target, value),
                Operation.AtomicCmpXchg => Interlocked.CompareExchange(ref target, value, (int)r[0]),
                _ => throw new InvalidOperationException($"{info.Operation} is not an atomic operation"),
            };
            if (info.Operation == Operation.AtomicCmpXchg)
                r[0] = (uint)old;
            else if (info.Fetch)
                r[src] = (uint)old;
        }
    }
}
