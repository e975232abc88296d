using System.Reflection;
using System.Reflection.Emit;
using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Jit.Emit;
using Bpf.Runtime.Aot;
using Bpf.Runtime.CompilerServices;
using Bpf.Verification;

namespace Bpf.Jit.Lowering;

/// <summary>
/// Lowers one planned method to IL: the one translation of BPF to IL that every back end shares.
/// Registers are <c>ulong</c> locals; the stack frame is <c>localloc</c>'d; loads and stores go
/// through native pointers with <c>unaligned.</c>; division, modulo and shifts get BPF's defined
/// results; 32-bit operations zero-extend; checked mode adds a bounds check per access, a zeroed
/// frame and an instruction budget charged on backward jumps.
/// </summary>
/// <typeparam name="TEmitter">The back end, usually wrapped in a <see cref="CountingEmitter{TInner}"/>.</typeparam>
internal sealed class MethodLowering<TEmitter>
    where TEmitter : struct, IILEmitter
{
    private const int FrameSize = Registers.StackFrameSize;

    private readonly TEmitter _il;
    private readonly ProgramPlan _plan;
    private readonly MethodPlan _method;
    private readonly Bytecode _code;
    private readonly bool _checked;
    private readonly int _invocation;
    private readonly ILLocal[] _r = new ILLocal[Registers.Count];
    private readonly Dictionary<int, ILLabel> _labels = new();
    private readonly Dictionary<int, ILLabel> _exits = new();
    private ILLocal _frame;
    private ILLocal _next;
    private ILLocal _tailCallResult;
    private ILLabel _epilogue;

    /// <summary>Creates the lowering of <paramref name="method"/> into <paramref name="il"/>.</summary>
    /// <param name="il">The back end.</param>
    /// <param name="plan">The program's plan.</param>
    /// <param name="method">The method to emit.</param>
    /// <param name="meter">
    /// The figures <paramref name="il"/> counts into, when the caller wants <see cref="SlotCosts"/>:
    /// the local references emitted for each slot, the planner's measure of where to split a function.
    /// </param>
    public MethodLowering(TEmitter il, ProgramPlan plan, MethodPlan method, ILMetrics? meter = null)
    {
        _meter = meter;
        if (meter is not null)
            SlotCosts = new SlotCost[method.End - method.Start];
        _il = il;
        _plan = plan;
        _method = method;
        _code = plan.Bytecode;
        _checked = plan.Options.Checked;
        _invocation = MethodSignatures.InvocationArgumentOf(method.Kind);
    }

    private readonly ILMetrics? _meter;

    /// <summary>With a meter, what each slot of the method cost after <see cref="Lower"/>.</summary>
    public SlotCost[]? SlotCosts { get; }

    /// <summary>Emits the method's body.</summary>
    public void Lower()
    {
        switch (_method.Kind)
        {
            case MethodKind.Function:
                LowerFunction();
                break;
            case MethodKind.FunctionDriver:
                LowerDriver();
                break;
            case MethodKind.Region:
                LowerRegion();
                break;
        }
    }

    // Method shapes.

    private void LowerFunction()
    {
        DeclareRegisters();
        bool usesStack = _plan.UsesStack(_method.Function);
        if (usesStack)
        {
            _frame = _il.DeclareLocal(typeof(nint));
            AllocateFrame();
            LdFrame();
            LdcI4(FrameSize);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_U8);
            StReg(Registers.FramePointer);
        }

        for (int i = 0; i < Registers.ArgumentCount; i++)
        {
            Ldarg(i);
            StReg(Registers.FirstArgument + i);
        }

        // r0 and r6-r9 start at zero so every engine agrees on programs that read them early;
        // RyuJIT drops the stores that nothing reads.
        foreach (int r in (ReadOnlySpan<int>)[0, 6, 7, 8, 9])
        {
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Conv_U8);
            StReg(r);
        }

        _epilogue = _il.DefineLabel();
        DefineTargetLabels();
        LowerBody();

        _il.MarkLabel(_epilogue);
        if (usesStack && _checked)
        {
            Ldarg(_invocation);
            _il.Emit(OpCodes.Call, RuntimeMembers.LeaveFrame);
        }

        LdReg(0);
        _il.Emit(OpCodes.Ret);
    }

    private void LowerDriver()
    {
        var registers = _il.DeclareLocal(typeof(RegisterFile));
        _next = _il.DeclareLocal(typeof(long));
        bool usesStack = _plan.UsesStack(_method.Function);

        _il.Emit(OpCodes.Ldloca_S, registers);
        _il.Emit(OpCodes.Initobj, typeof(RegisterFile));
        if (usesStack)
        {
            _frame = _il.DeclareLocal(typeof(nint));
            AllocateFrame();
            _il.Emit(OpCodes.Ldloca_S, registers);
            LdFrame();
            LdcI4(FrameSize);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Stfld, RuntimeMembers.RegisterFields[Registers.FramePointer]);
        }

        for (int i = 0; i < Registers.ArgumentCount; i++)
        {
            _il.Emit(OpCodes.Ldloca_S, registers);
            Ldarg(i);
            _il.Emit(OpCodes.Stfld, RuntimeMembers.RegisterFields[Registers.FirstArgument + i]);
        }

        var regions = _method.Regions;
        _il.Emit(OpCodes.Ldc_I8, RegionExit.To(0, regions[0].Start));
        _il.Emit(OpCodes.Stloc_S, _next);

        var dispatch = _il.DefineLabel();
        var done = _il.DefineLabel();
        var cases = regions.Select(_ => _il.DefineLabel()).ToArray();

        _il.MarkLabel(dispatch);
        _il.Emit(OpCodes.Ldloc_S, _next);
        LdcI4(32);
        _il.Emit(OpCodes.Shr);
        _il.Emit(OpCodes.Conv_I4);
        _il.Emit(OpCodes.Switch, cases);
        _il.Emit(OpCodes.Br, done);

        for (int k = 0; k < regions.Count; k++)
        {
            _il.MarkLabel(cases[k]);
            _il.Emit(OpCodes.Ldloca_S, registers);
            _il.Emit(OpCodes.Ldloc_S, _next);
            _il.Emit(OpCodes.Conv_I4);
            Ldarg(_invocation);
            _il.EmitCall(regions[k]);
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc_S, _next);
            _il.Emit(OpCodes.Ldc_I4_M1);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Bne_Un, dispatch);
            _il.Emit(OpCodes.Br, done);
        }

        _il.MarkLabel(done);
        if (usesStack && _checked)
        {
            Ldarg(_invocation);
            _il.Emit(OpCodes.Call, RuntimeMembers.LeaveFrame);
        }

        _il.Emit(OpCodes.Ldloca_S, registers);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.RegisterFields[0]);
        _il.Emit(OpCodes.Ret);
    }

    private void LowerRegion()
    {
        DeclareRegisters();
        _next = _il.DeclareLocal(typeof(long));
        for (int r = 0; r < Registers.Count; r++)
        {
            Ldarg(MethodSignatures.RegionRegistersArgument);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.RegisterFields[r]);
            StReg(r);
        }

        _epilogue = _il.DefineLabel();
        DefineTargetLabels();

        // Control enters at the region's start, or at a slot that another region jumps to.
        foreach (int entry in _plan.RegionEntries(_method))
        {
            if (entry == _method.Start)
                continue;
            Ldarg(MethodSignatures.RegionPcArgument);
            LdcI4(entry);
            _il.Emit(OpCodes.Beq, _labels[entry]);
        }

        LowerBody();

        var last = _code.InfoAt(LastSlotStart(_method.End));
        if (last is null || !(last.Operation == Operation.Exit || last.IsUnconditionalJump))
            EmitLeaveRegion(_method.End);

        foreach (var (target, label) in _exits)
        {
            _il.MarkLabel(label);
            _il.Emit(OpCodes.Ldc_I8, target < 0 ? RegionExit.FunctionReturned : RegionExit.To(_plan.RegionOf(_method.Function, target).RegionIndex, target));
            _il.Emit(OpCodes.Stloc_S, _next);
            _il.Emit(OpCodes.Br, _epilogue);
        }

        // Hand every register back through the register file and say where to go on.
        _il.MarkLabel(_epilogue);
        for (int r = 0; r < Registers.FramePointer; r++)
        {
            Ldarg(MethodSignatures.RegionRegistersArgument);
            LdReg(r);
            _il.Emit(OpCodes.Stfld, RuntimeMembers.RegisterFields[r]);
        }

        _il.Emit(OpCodes.Ldloc_S, _next);
        _il.Emit(OpCodes.Ret);
    }

    private int LastSlotStart(int end) => _code.InfoAt(end - 1) is null ? end - 2 : end - 1;

    private void DeclareRegisters()
    {
        for (int r = 0; r < Registers.Count; r++)
            _r[r] = _il.DeclareLocal(typeof(ulong));
    }

    private void AllocateFrame()
    {
        LdcI4(FrameSize);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Localloc);
        _il.Emit(OpCodes.Stloc_S, _frame);
        if (!_checked)
            return;

        // Checked mode: the frame starts zeroed, so the program never sees what the host left on
        // the stack, and it is registered so that accesses to it pass the bounds check.
        LdFrame();
        _il.Emit(OpCodes.Ldc_I4_0);
        LdcI4(FrameSize);
        _il.Emit(OpCodes.Initblk);
        Ldarg(_invocation);
        LdFrame();
        LdcI4(_method.Function.Start);
        _il.Emit(OpCodes.Call, RuntimeMembers.EnterFrame);
    }

    private void DefineTargetLabels()
    {
        foreach (int target in _plan.JumpTargets(_method))
            _labels[target] = _il.DefineLabel();
    }

    private void LowerBody()
    {
        for (int pc = _method.Start; pc < _method.End; pc++)
        {
            var info = _code.InfoAt(pc);
            if (info is null)
                continue; // the second slot of an lddw
            var before = _meter is null ? default : SlotCost.Of(_meter);
            if (_labels.TryGetValue(pc, out var label))
                _il.MarkLabel(label);
            _il.MarkInstruction(pc);
            LowerInstruction(pc, _code[pc], info);
            if (_meter is not null)
                SlotCosts![pc - _method.Start] = SlotCost.Of(_meter) - before;
        }
    }

    // Instructions.

    private void LowerInstruction(int pc, Instruction insn, OpcodeInfo info)
    {
        switch (info.Operation)
        {
            case Operation.ToLe or Operation.ToBe or Operation.Swap:
                LowerByteOrder(insn, info);
                break;
            case Operation.AddressSpaceCast:
                LdReg(insn.Src);
                _il.EmitLoadBoundAddress(BoundAddress.ArenaHigh, _plan.References.ArenaHigh, _invocation);
                _il.Emit(OpCodes.Call, insn.Immediate == 1 ? RuntimeMembers.AddressSpaceCastToProgram : RuntimeMembers.AddressSpaceCast);
                StReg(insn.Dst);
                break;
            case <= Operation.Arsh:
                LowerAlu(pc, insn, info);
                break;
            case Operation.Ja or Operation.Ja32:
            {
                int target = (int)info.TargetOf(insn, pc)!.Value;
                ChargeBackwardJump(pc, target);
                EmitBranch(OpCodes.Br, target);
                break;
            }

            case >= Operation.Jeq and <= Operation.Jsle:
                LowerConditionalJump(pc, insn, info);
                break;
            case Operation.Call or Operation.CallKfunc:
                LowerCall(pc);
                break;
            case Operation.CallLocal:
                LoadArguments();
                _il.EmitCall(_plan.EntryOf(_code.FunctionOf((int)info.TargetOf(insn, pc)!.Value)));
                StReg(0);
                break;
            case Operation.Callx:
                SetCurrentInstruction(pc);
                LdReg(insn.Dst);
                LoadArguments();
                LdcI4(pc);
                _il.Emit(OpCodes.Call, RuntimeMembers.Callx);
                StReg(0);
                break;
            case Operation.Exit:
                EmitReturn();
                break;
            case Operation.Load or Operation.LoadSx or Operation.StoreImm or Operation.Store:
                LowerMemory(pc, insn, info);
                break;
            case >= Operation.AtomicAdd and <= Operation.StoreRelease:
                LowerAtomic(pc, insn, info);
                break;
            case Operation.LoadImm64:
                if (_plan.References.BoundAddressAt(pc) is { } address)
                    _il.EmitLoadBoundAddress(address, _plan.References.Immediate64At(pc), _invocation);
                else
                    _il.Emit(OpCodes.Ldc_I8, (long)_plan.References.Immediate64At(pc));
                StReg(insn.Dst);
                break;
            case Operation.LoadPacketAbsolute:
                Ldarg(_invocation);
                _il.Emit(OpCodes.Ldc_I8, (long)insn.Immediate);
                LdcI4(info.AccessSize);
                _il.Emit(OpCodes.Call, RuntimeMembers.LoadPacket);
                StReg(0);
                break;
            case Operation.LoadPacketIndirect:
                Ldarg(_invocation);
                LdReg(insn.Src);
                _il.Emit(OpCodes.Conv_U4);
                LdcI4(insn.Immediate);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Conv_I8);
                LdcI4(info.AccessSize);
                _il.Emit(OpCodes.Call, RuntimeMembers.LoadPacket);
                StReg(0);
                break;
            default:
                throw new InvalidOperationException($"instruction {pc}: the lowering has no case for {info.Operation}");
        }
    }

    private void LowerAlu(int pc, Instruction insn, OpcodeInfo info)
    {
        int dst = insn.Dst;
        bool is64 = info.Is64;
        bool reg = info.UsesSourceRegister;
        switch (info.Operation)
        {
            case Operation.Mov when reg:
                LdValue(insn.Src, is64);
                Widen(is64);
                break;
            case Operation.Mov:
                _il.Emit(OpCodes.Ldc_I8, is64 ? insn.Immediate : (long)(uint)insn.Immediate);
                break;
            case Operation.MovSx:
                LdReg(insn.Src);
                _il.Emit(info.Bits switch { 8 => OpCodes.Conv_I1, 16 => OpCodes.Conv_I2, _ => OpCodes.Conv_I4 });
                _il.Emit(is64 ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
                break;
            case Operation.Neg:
                LdValue(dst, is64);
                _il.Emit(OpCodes.Neg);
                Widen(is64);
                break;
            case Operation.Lsh or Operation.Rsh or Operation.Arsh:
                LdValue(dst, is64);
                LoadShiftCount(insn, reg, is64 ? 63 : 31, Proven(pc, InstructionFacts.ShiftCountInRange));
                _il.Emit(info.Operation switch { Operation.Lsh => OpCodes.Shl, Operation.Rsh => OpCodes.Shr_Un, _ => OpCodes.Shr });
                Widen(is64);
                break;
            case Operation.Div or Operation.Mod or Operation.SDiv or Operation.SMod:
                LowerDivision(pc, insn, info);
                return;
            default:
                LdValue(dst, is64);
                LdOperand(insn, info);
                _il.Emit(BinaryOpcode(info.Operation));
                Widen(is64);
                break;
        }

        StReg(dst);
    }

    private static OpCode BinaryOpcode(Operation operation) => operation switch
    {
        Operation.Add => OpCodes.Add,
        Operation.Sub => OpCodes.Sub,
        Operation.Mul => OpCodes.Mul,
        Operation.Or => OpCodes.Or,
        Operation.And => OpCodes.And,
        Operation.Xor => OpCodes.Xor,
        _ => throw new InvalidOperationException($"{operation} is not a plain binary operation"),
    };

    /// <summary>Pushes the second operand at the operation's width: the source register, or the immediate (sign-extended for 64 bits).</summary>
    private void LdOperand(Instruction insn, OpcodeInfo info)
    {
        if (info.UsesSourceRegister)
            LdValue(insn.Src, info.Is64);
        else if (info.Is64)
            _il.Emit(OpCodes.Ldc_I8, (long)insn.Immediate);
        else
            LdcI4(insn.Immediate);
    }

    /// <summary>
    /// Pushes the shift count. IL leaves shifts by the width or more unspecified (x64 masks the
    /// count, other targets need not), so the count is masked as BPF defines it, unless the
    /// verifier proved it below the width (<paramref name="inRange"/>).
    /// </summary>
    private void LoadShiftCount(Instruction insn, bool reg, int mask, bool inRange)
    {
        if (reg)
        {
            LdReg(insn.Src);
            _il.Emit(OpCodes.Conv_I4);
            if (!inRange)
            {
                LdcI4(mask);
                _il.Emit(OpCodes.And);
            }
        }
        else
        {
            LdcI4(insn.Immediate & mask);
        }
    }

    /// <summary>True when the verifier proved <paramref name="facts"/> at <paramref name="pc"/> and the program runs unchecked.</summary>
    private bool Proven(int pc, InstructionFacts facts) => _plan.Facts is { } proven && proven.Holds(pc, facts);

    private void LowerDivision(int pc, Instruction insn, OpcodeInfo info)
    {
        int dst = insn.Dst;
        bool is64 = info.Is64;
        var op = info.Operation;
        if (info.UsesSourceRegister && LowerProvenDivision(pc, insn, info))
            return;

        if (info.UsesSourceRegister)
        {
            LdReg(dst);
            LdReg(insn.Src);
            _il.Emit(OpCodes.Call, (op, is64) switch
            {
                (Operation.Div, true) => RuntimeMembers.Div64,
                (Operation.Mod, true) => RuntimeMembers.Mod64,
                (Operation.SDiv, true) => RuntimeMembers.SDiv64,
                (_, true) => RuntimeMembers.SMod64,
                (Operation.Div, false) => RuntimeMembers.Div32,
                (Operation.Mod, false) => RuntimeMembers.Mod32,
                (Operation.SDiv, false) => RuntimeMembers.SDiv32,
                _ => RuntimeMembers.SMod32,
            });
            StReg(dst);
            return;
        }

        // An immediate divisor is known now, so the cases where IL would fault are decided here.
        int divisor = insn.Immediate;
        bool signed = op is Operation.SDiv or Operation.SMod;
        bool quotient = op is Operation.Div or Operation.SDiv;
        if (divisor == 0 && !quotient && is64)
            return; // x % 0 = x

        if (divisor == 0 && quotient || divisor == -1 && signed && !quotient)
        {
            _il.Emit(OpCodes.Ldc_I8, 0L); // x / 0 = 0, x s% -1 = 0
        }
        else
        {
            LdValue(dst, is64);
            if (divisor == -1 && signed)
            {
                _il.Emit(OpCodes.Neg); // x s/ -1 = -x, INT_MIN included
            }
            else if (divisor != 0)
            {
                LdOperand(insn, info);
                _il.Emit(op switch
                {
                    Operation.Div => OpCodes.Div_Un,
                    Operation.Mod => OpCodes.Rem_Un,
                    Operation.SDiv => OpCodes.Div,
                    _ => OpCodes.Rem,
                });
            }

            // (A 32-bit x % 0 falls through to here: x, truncated like every 32-bit result.)
            Widen(is64);
        }

        StReg(dst);
    }

    /// <summary>
    /// A division by a register whose special cases the verifier ruled out: a plain IL
    /// <c>div</c>/<c>rem</c> instead of the guarded <see cref="Arithmetic"/> call. False (nothing
    /// emitted) when the facts do not cover every case the operation must handle.
    /// </summary>
    /// <remarks>
    /// The 32-bit forms divide the operands widened to 64 bits (zero-extended, or sign-extended for
    /// the signed forms), which gives the same low 32 bits: this keeps the divisor register whole,
    /// so the RyuJIT miscompilation that made <c>Div32</c> out of line cannot arise (nothing is
    /// narrowed in place), and a sign-extended <c>INT_MIN / -1</c> does not overflow at 64 bits and
    /// truncates to <c>INT_MIN</c>, BPF's result, so only a zero divisor has to be ruled out.
    /// </remarks>
    private bool LowerProvenDivision(int pc, Instruction insn, OpcodeInfo info)
    {
        var op = info.Operation;
        bool signed = op is Operation.SDiv or Operation.SMod;
        var needed = signed && info.Is64 ? InstructionFacts.DivisorNonZero | InstructionFacts.NoSignedOverflow : InstructionFacts.DivisorNonZero;
        if (!Proven(pc, needed))
            return false;

        foreach (int register in (ReadOnlySpan<int>)[insn.Dst, insn.Src])
        {
            LdReg(register);
            if (!info.Is64)
            {
                _il.Emit(signed ? OpCodes.Conv_I4 : OpCodes.Conv_U4);
                _il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
            }
        }

        _il.Emit(op switch
        {
            Operation.Div => OpCodes.Div_Un,
            Operation.Mod => OpCodes.Rem_Un,
            Operation.SDiv => OpCodes.Div,
            _ => OpCodes.Rem,
        });
        if (!info.Is64 && signed)
        {
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Conv_U8);
        }

        StReg(insn.Dst);
        return true;
    }

    private void LowerByteOrder(Instruction insn, OpcodeInfo info)
    {
        int dst = insn.Dst;
        if (info.Operation == Operation.ToLe)
        {
            // The host is little-endian: converting to little-endian only truncates.
            if (info.Bits == 64)
                return;
            LdReg(dst);
            _il.Emit(info.Bits == 16 ? OpCodes.Conv_U2 : OpCodes.Conv_U4);
            _il.Emit(OpCodes.Conv_U8);
            StReg(dst);
            return;
        }

        LdReg(dst);
        switch (info.Bits)
        {
            case 16:
                _il.Emit(OpCodes.Conv_U2);
                _il.Emit(OpCodes.Call, RuntimeMembers.ReverseEndianness16);
                _il.Emit(OpCodes.Conv_U8);
                break;
            case 32:
                _il.Emit(OpCodes.Conv_U4);
                _il.Emit(OpCodes.Call, RuntimeMembers.ReverseEndianness32);
                _il.Emit(OpCodes.Conv_U8);
                break;
            default:
                _il.Emit(OpCodes.Call, RuntimeMembers.ReverseEndianness64);
                break;
        }

        StReg(dst);
    }

    private void LowerConditionalJump(int pc, Instruction insn, OpcodeInfo info)
    {
        int target = (int)info.TargetOf(insn, pc)!.Value;
        ChargeBackwardJump(pc, target);

        LdReg(insn.Dst);
        if (!info.Is64)
            _il.Emit(OpCodes.Conv_U4);
        if (info.UsesSourceRegister)
        {
            LdReg(insn.Src);
            if (!info.Is64)
                _il.Emit(OpCodes.Conv_U4);
        }
        else if (info.Is64)
        {
            _il.Emit(OpCodes.Ldc_I8, (long)insn.Immediate);
        }
        else
        {
            LdcI4(insn.Immediate);
        }

        if (info.Operation == Operation.Jset)
        {
            _il.Emit(OpCodes.And);
            EmitBranch(OpCodes.Brtrue, target);
            return;
        }

        EmitBranch(info.Operation switch
        {
            Operation.Jeq => OpCodes.Beq,
            Operation.Jne => OpCodes.Bne_Un,
            Operation.Jgt => OpCodes.Bgt_Un,
            Operation.Jge => OpCodes.Bge_Un,
            Operation.Jlt => OpCodes.Blt_Un,
            Operation.Jle => OpCodes.Ble_Un,
            Operation.Jsgt => OpCodes.Bgt,
            Operation.Jsge => OpCodes.Bge,
            Operation.Jslt => OpCodes.Blt,
            _ => OpCodes.Ble,
        }, target);
    }

    private void LowerCall(int pc)
    {
        if (TryLowerInlineMapOperation(pc))
            return;

        var call = _plan.References.CallAt(pc);
        SetCurrentInstruction(pc);
        if (call.IsStatic)
        {
            LoadArguments();
            _il.Emit(OpCodes.Call, call.Function.Method);
        }
        else
        {
            _il.EmitLoadConstant(call.Function, typeof(BpfHelperFunction), _invocation);
            LoadArguments();
            _il.Emit(OpCodes.Callvirt, RuntimeMembers.HelperInvoke);
        }

        StReg(0);
        if (!call.IsTailCall)
            return;

        // bpf_tail_call: if the target ran, it replaced this function, whose caller gets its r0.
        // The result goes through its own local: taking r0's address would keep r0 out of registers.
        if (_tailCallResult.Type is null)
            _tailCallResult = _il.DeclareLocal(typeof(ulong));
        var goOn = _il.DefineLabel();
        Ldarg(_invocation);
        _il.Emit(OpCodes.Ldloca_S, _tailCallResult);
        _il.Emit(OpCodes.Call, RuntimeMembers.TakeTailCallResult);
        _il.Emit(OpCodes.Brfalse, goOn);
        Ldloc(_tailCallResult);
        StReg(0);
        EmitReturn();
        _il.MarkLabel(goOn);
    }

    /// <summary>
    /// <c>bpf_map_lookup_elem</c> on a map known at compile time (r1 loaded by an <c>lddw</c> of the map
    /// in the same straight-line code): an array lookup becomes a bounds check and an add, inline.
    /// </summary>
    private bool TryLowerInlineMapOperation(int pc)
    {
        var insn = _code[pc];
        if (_code.InfoAt(pc)!.Operation != Operation.Call || insn.Immediate != (int)LinuxHelper.MapLookupElem
            || KnownMap(pc, Registers.FirstArgument) is not Maps.ArrayMap array)
        {
            return false;
        }

        if (_checked)
            Ldarg(_invocation);
        LdReg(2);
        _il.EmitLoadBoundAddress(BoundAddress.ArrayValues(KnownMapIndex(pc, Registers.FirstArgument)), (ulong)array.ValuesAddress, _invocation);
        LdcI4(array.MaxEntries);
        LdcI4(array.Stride);
        if (_checked)
        {
            LdcI4(pc);
            _il.Emit(OpCodes.Call, RuntimeMembers.ArrayLookupChecked);
        }
        else
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.ArrayLookup);
        }

        StReg(0);
        return true;
    }

    /// <summary>
    /// The map <paramref name="register"/> holds at <paramref name="pc"/>, when straight-line code
    /// before it (no jump lands in between) loaded it with an <c>lddw</c> of a map and nothing wrote
    /// the register since; otherwise null.
    /// </summary>
    private Maps.BpfMap? KnownMap(int pc, int register) =>
        KnownMapLoad(pc, register) is { } load ? _plan.References.MapLoadedAt(load) : null;

    /// <summary>The index (in the image's maps) of the map <see cref="KnownMap"/> finds.</summary>
    private int KnownMapIndex(int pc, int register) => _code[KnownMapLoad(pc, register)!.Value].Immediate;

    /// <summary>The <c>lddw</c> whose map <see cref="KnownMap"/> finds, or null.</summary>
    private int? KnownMapLoad(int pc, int register)
    {
        for (int slot = pc; slot > _method.Start; )
        {
            if (_labels.ContainsKey(slot))
                return null; // control can arrive here from a jump, with anything in the register
            int previous = _code.InfoAt(slot - 1) is null ? slot - 2 : slot - 1;
            var info = _code.InfoAt(previous)!;
            var insn = _code[previous];
            if (info.Operation == Operation.LoadImm64 && insn.Dst == register)
            {
                return _plan.References.MapLoadedAt(previous) is null ? null : previous;
            }

            bool writes = info.WritesDst && insn.Dst == register || info.WritesSrc && insn.Src == register
                || info.Operation is Operation.AtomicCmpXchg or Operation.LoadPacketAbsolute or Operation.LoadPacketIndirect && register == 0;
            if (writes || info.IsJump && !info.IsConditionalJump || info.Operation is Operation.Exit
                || info.Operation is Operation.Call or Operation.CallKfunc or Operation.CallLocal or Operation.Callx)
            {
                return null;
            }

            slot = previous;
        }

        return null;
    }

    /// <summary>Records the calling instruction in the invocation, for helpers' error messages.</summary>
    private void SetCurrentInstruction(int pc)
    {
        Ldarg(_invocation);
        LdcI4(pc);
        _il.Emit(OpCodes.Call, RuntimeMembers.SetCurrentInstruction);
    }

    /// <summary>Leaves the BPF function with r0: the epilogue, or, from a region, the exit that reports the function returned.</summary>
    private void EmitReturn()
    {
        if (_method.Kind == MethodKind.Region)
            _il.Emit(OpCodes.Br, ExitLabel(-1));
        else
            _il.Emit(OpCodes.Br, _epilogue);
    }

    /// <summary>Pushes r1-r5 and the invocation: the arguments of every call.</summary>
    private void LoadArguments()
    {
        for (int r = Registers.FirstArgument; r < Registers.FirstArgument + Registers.ArgumentCount; r++)
            LdReg(r);
        Ldarg(_invocation);
    }

    private void LowerMemory(int pc, Instruction insn, OpcodeInfo info)
    {
        int size = info.AccessSize;
        bool isLoad = info.Operation is Operation.Load or Operation.LoadSx;
        int baseRegister = isLoad ? insn.Src : insn.Dst;
        EmitAddress(pc, baseRegister, insn.Offset, size, isLoad ? RuntimeMembers.CheckRead : RuntimeMembers.CheckWrite, write: !isLoad);

        switch (info.Operation)
        {
            case Operation.Load:
                Unaligned(size);
                _il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, 4 => OpCodes.Ldind_U4, _ => OpCodes.Ldind_I8 });
                if (size < 8)
                    _il.Emit(OpCodes.Conv_U8);
                StReg(insn.Dst);
                return;
            case Operation.LoadSx:
                Unaligned(size);
                _il.Emit(size switch { 1 => OpCodes.Ldind_I1, 2 => OpCodes.Ldind_I2, _ => OpCodes.Ldind_I4 });
                _il.Emit(OpCodes.Conv_I8);
                StReg(insn.Dst);
                return;
            case Operation.StoreImm:
                if (size == 8)
                    _il.Emit(OpCodes.Ldc_I8, (long)insn.Immediate);
                else
                    LdcI4(insn.Immediate);
                break;
            default:
                LdReg(insn.Src);
                if (size < 8)
                    _il.Emit(OpCodes.Conv_U4);
                break;
        }

        Unaligned(size);
        _il.Emit(size switch { 1 => OpCodes.Stind_I1, 2 => OpCodes.Stind_I2, 4 => OpCodes.Stind_I4, _ => OpCodes.Stind_I8 });
    }

    /// <summary>Pushes <c>base + offset</c> as a native pointer, bounds-checked in checked mode.</summary>
    private void EmitAddress(int pc, int baseRegister, short offset, int size, MethodInfo check, bool write)
    {
        if (_checked)
            Ldarg(_invocation);
        LdReg(baseRegister);
        if (offset != 0)
        {
            _il.Emit(OpCodes.Ldc_I8, (long)offset);
            _il.Emit(OpCodes.Add);
        }

        if (_checked)
        {
            LdcI4(size);
            if (check == RuntimeMembers.CheckAtomic)
                LdcI4(write ? 1 : 0);
            LdcI4(pc);
            _il.Emit(OpCodes.Call, check);
        }
        else
        {
            _il.Emit(OpCodes.Conv_U);
        }
    }

    private void LowerAtomic(int pc, Instruction insn, OpcodeInfo info)
    {
        int size = info.AccessSize;
        bool is64 = size == 8;
        int src = insn.Src;
        var op = info.Operation;
        EmitAddress(pc, op == Operation.LoadAcquire ? src : insn.Dst, insn.Offset, size, RuntimeMembers.CheckAtomic, write: op != Operation.LoadAcquire);

        switch (op)
        {
            case Operation.LoadAcquire:
                _il.Emit(OpCodes.Call, RuntimeMembers.VolatileRead(size));
                if (size < 8)
                    _il.Emit(OpCodes.Conv_U8);
                StReg(insn.Dst);
                return;
            case Operation.StoreRelease:
                LdReg(src);
                if (size < 8)
                    _il.Emit(size switch { 1 => OpCodes.Conv_U1, 2 => OpCodes.Conv_U2, _ => OpCodes.Conv_U4 });
                _il.Emit(OpCodes.Call, RuntimeMembers.VolatileWrite(size));
                return;
            case Operation.AtomicCmpXchg:
                // Out of line, as every atomic whose old value is kept (see FetchingAtomics: RyuJIT
                // drops the zero extension of what an inlined cmpxchg or xadd returns).
                LdValue(src, is64);
                LdValue(0, is64);
                _il.Emit(OpCodes.Call, is64 ? RuntimeMembers.FetchingCompareExchange64 : RuntimeMembers.FetchingCompareExchange32);
                StReg(0);
                return;
        }

        LdValue(src, is64);
        if (info.Fetch)
        {
            _il.Emit(OpCodes.Call, op switch
            {
                Operation.AtomicAdd => is64 ? RuntimeMembers.FetchingAdd64 : RuntimeMembers.FetchingAdd32,
                Operation.AtomicOr => is64 ? RuntimeMembers.FetchingOr64 : RuntimeMembers.FetchingOr32,
                Operation.AtomicAnd => is64 ? RuntimeMembers.FetchingAnd64 : RuntimeMembers.FetchingAnd32,
                Operation.AtomicXor => is64 ? RuntimeMembers.FetchingXor64 : RuntimeMembers.FetchingXor32,
                _ => is64 ? RuntimeMembers.FetchingExchange64 : RuntimeMembers.FetchingExchange32,
            });
            StReg(src);
            return;
        }

        // The old value is discarded, so there is no extension to lose: the operation stays inline.
        _il.Emit(OpCodes.Call, op switch
        {
            Operation.AtomicAdd => is64 ? RuntimeMembers.InterlockedAdd64 : RuntimeMembers.InterlockedAdd32,
            Operation.AtomicOr => is64 ? RuntimeMembers.InterlockedOr64 : RuntimeMembers.InterlockedOr32,
            Operation.AtomicAnd => is64 ? RuntimeMembers.InterlockedAnd64 : RuntimeMembers.InterlockedAnd32,
            _ => is64 ? RuntimeMembers.FetchXor64 : RuntimeMembers.FetchXor32,
        });
        _il.Emit(OpCodes.Pop);
    }

    /// <summary>Pushes a register as a 64-bit value or as its low 32 bits.</summary>
    private void LdValue(int register, bool is64)
    {
        LdReg(register);
        if (!is64)
            _il.Emit(OpCodes.Conv_U4);
    }

    /// <summary>Zero-extends a 32-bit result to the 64-bit register value (nothing for 64-bit results).</summary>
    private void Widen(bool is64)
    {
        if (!is64)
            _il.Emit(OpCodes.Conv_U8);
    }

    private void Unaligned(int size)
    {
        if (size > 1)
            _il.Emit(OpCodes.Unaligned, 1);
    }

    // Control flow.

    private void ChargeBackwardJump(int pc, int target)
    {
        if (!_checked || target > pc)
            return;
        Ldarg(_invocation);
        LdcI4(pc - target + 1);
        LdcI4(pc);
        _il.Emit(OpCodes.Call, RuntimeMembers.ConsumeBudget);
    }

    private void EmitBranch(OpCode opcode, int target)
    {
        if (_method.Contains(target))
            _il.Emit(opcode, _labels[target]);
        else
            _il.Emit(opcode, ExitLabel(target));
    }

    private void EmitLeaveRegion(int target) => _il.Emit(OpCodes.Br, ExitLabel(target));

    /// <summary>The label of the code that leaves this region for <paramref name="target"/> (-1: the function returns).</summary>
    private ILLabel ExitLabel(int target)
    {
        if (!_exits.TryGetValue(target, out var label))
        {
            label = _il.DefineLabel();
            _exits[target] = label;
        }

        return label;
    }

    // IL forms.

    private void LdReg(int register) => Ldloc(_r[register]);

    private void StReg(int register)
    {
        var local = _r[register];
        _il.Emit(local.Index switch
        {
            0 => OpCodes.Stloc_0,
            1 => OpCodes.Stloc_1,
            2 => OpCodes.Stloc_2,
            3 => OpCodes.Stloc_3,
            < 256 => OpCodes.Stloc_S,
            _ => OpCodes.Stloc,
        }, local);
    }

    private void Ldloc(ILLocal local) => _il.Emit(local.Index switch
    {
        0 => OpCodes.Ldloc_0,
        1 => OpCodes.Ldloc_1,
        2 => OpCodes.Ldloc_2,
        3 => OpCodes.Ldloc_3,
        < 256 => OpCodes.Ldloc_S,
        _ => OpCodes.Ldloc,
    }, local);

    private void LdFrame() => Ldloc(_frame);

    private void Ldarg(int index)
    {
        switch (index)
        {
            case 0: _il.Emit(OpCodes.Ldarg_0); break;
            case 1: _il.Emit(OpCodes.Ldarg_1); break;
            case 2: _il.Emit(OpCodes.Ldarg_2); break;
            case 3: _il.Emit(OpCodes.Ldarg_3); break;
            default: _il.Emit(OpCodes.Ldarg_S, index); break;
        }
    }

    private void LdcI4(int value)
    {
        switch (value)
        {
            case -1: _il.Emit(OpCodes.Ldc_I4_M1); break;
            case 0: _il.Emit(OpCodes.Ldc_I4_0); break;
            case 1: _il.Emit(OpCodes.Ldc_I4_1); break;
            case 2: _il.Emit(OpCodes.Ldc_I4_2); break;
            case 3: _il.Emit(OpCodes.Ldc_I4_3); break;
            case 4: _il.Emit(OpCodes.Ldc_I4_4); break;
            case 5: _il.Emit(OpCodes.Ldc_I4_5); break;
            case 6: _il.Emit(OpCodes.Ldc_I4_6); break;
            case 7: _il.Emit(OpCodes.Ldc_I4_7); break;
            case 8: _il.Emit(OpCodes.Ldc_I4_8); break;
            case >= sbyte.MinValue and <= sbyte.MaxValue: _il.Emit(OpCodes.Ldc_I4_S, value); break;
            default: _il.Emit(OpCodes.Ldc_I4, value); break;
        }
    }
}
