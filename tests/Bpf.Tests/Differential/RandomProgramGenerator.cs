using Bpf.Isa;
using static Bpf.Tests.Differential.InstructionRows;

namespace Bpf.Tests.Differential;

/// <summary>
/// Makes random BPF programs from a seed, deterministically: the same seed and options always
/// give the same program and input. Every program is valid (it passes <see cref="Bytecode.Create"/>)
/// and terminates, and together they exercise every row of the <see cref="OpcodeTable"/> a program
/// can run without a loader (see <see cref="InstructionRows.NotGenerated"/>).
/// </summary>
/// <remarks>
/// <para>
/// Registers have roles so that programs stay meaningful. r9 holds the input pointer in every
/// function (main copies it from r1, callers pass it in r1); r8 is the counter of the one loop a
/// function may be in; r10 is the frame pointer; in subprograms r7 points to the stack window
/// of the caller or of its caller (passed in r2). All other registers hold data, never
/// addresses, so that no pointer
/// value (which differs between engines and runs) reaches r0, memory or a comparison. Addresses
/// a program computes in a data register are overwritten with a constant right after their use.
/// </para>
/// <para>
/// Termination: every jump goes forward except the backward jumps of loops, which run at most
/// <see cref="GeneratorOptions.MaxLoopIterations"/> times because the counter is set before the
/// loop, decremented on every iteration and written by nothing else; forward jumps never enter a
/// loop from outside. Calls go only to later functions, so there is no recursion.
/// </para>
/// <para>
/// Memory: in-bounds accesses use the stack window below r10, the input through r9, and an
/// outer frame's window through r7, at any offset and size (atomics aligned), either directly or
/// through a computed pointer. Wild programs (<see cref="GeneratorOptions.WildProgramRate"/>)
/// also contain accesses both engines must refuse: just outside the input or the frame, far
/// outside every frame, through a data register, misaligned atomics, <c>callx</c> of nothing.
/// They avoid addresses whose validity depends on how an engine lays out its frames.
/// </para>
/// </remarks>
public sealed class RandomProgramGenerator
{
    private const int InputBase = 9;
    private const int LoopCounter = 8;
    private const int ParentWindow = 7;
    private const int FramePointer = Registers.FramePointer;

    private static readonly OpcodeInfo[] s_wideAtomics = Atomics.Where(a => a.AccessSize > 1).ToArray();

    private static readonly ulong[] s_dividends64 = [0x8000_0000_0000_0000UL, 0x8000_0000UL, 0xFFFF_FFFF_8000_0000UL];
    private static readonly ulong[] s_dividends32 = [0x8000_0000UL, 0x1234_5678_8000_0000UL, 0x8000_0000_0000_0000UL];

    /// <summary>0, -1 and 1 in both widths, and values that are one of them in one width only.</summary>
    private static readonly ulong[] s_divisors =
    [
        0, ulong.MaxValue, ulong.MaxValue, 1, 0xFFFF_FFFFUL, 0x1_0000_0000UL, 0x5_FFFF_FFFFUL, 0x7_0000_0001UL,
        0x8000_0000_0000_0000UL, 0xFFFF_FFFF_0000_0000UL,
    ];

    private static readonly ulong[] s_badCallTargets =
    [
        DifferentialHelpers.UnregisteredId, ulong.MaxValue, (1UL << 32) + DifferentialHelpers.MixId,
        (1UL << 63) | DifferentialHelpers.SaltedMixId, 0x8000_0000UL, 0xFFFF_FFFF_0000_0000UL + DifferentialHelpers.MixId,
    ];

    /// <summary>Jumps never reach further than this many items, so that offsets fit 16 bits even when every item is an <c>lddw</c>.</summary>
    private const int MaxJumpItems = 16_000;

    /// <summary>Creates a generator of programs shaped by <paramref name="options"/>.</summary>
    public RandomProgramGenerator(GeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.StackWindow is <= 0 or > Registers.StackFrameSize || options.StackWindow % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.StackWindow, "the stack window is a positive multiple of 8, at most 512");
        if (options.InputLength < 16 || options.InputLength % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.InputLength, "the input is a multiple of 8 bytes, at least 16");
        Options = options;
    }

    /// <summary>The shape of the programs.</summary>
    public GeneratorOptions Options { get; }

    /// <summary>Makes the program and input of <paramref name="seed"/>.</summary>
    public GeneratedProgram Generate(int seed) => new Builder(Options, seed).Build();

    /// <summary>How a jump or call names its target before the layout is known.</summary>
    private enum Link
    {
        None,
        /// <summary>A jump through the offset field to <see cref="Item.Target"/>, an item of the same function.</summary>
        Offset,
        /// <summary>A jump through the immediate (<c>ja32</c>) to an item of the same function.</summary>
        Immediate,
        /// <summary>A local call of function <see cref="Item.Target"/>.</summary>
        Call,
    }

    /// <summary>One instruction (two slots for <c>lddw</c>) of a function being built.</summary>
    private sealed class Item
    {
        public Instruction Instruction;
        public bool Wide;
        public int High;
        public Link Link;
        public int Target = -1;
        public int Loop = -1;
        public bool Targetable = true;
        public bool Far;
        public int Slot;
    }

    /// <summary>The state of making one program.</summary>
    private sealed class Builder
    {
        private readonly GeneratorOptions _options;
        private readonly Random _random;
        private readonly int _seed;
        private readonly int _window;
        private readonly int _inputLength;
        private bool _wild;
        private List<Item>[] _functions = [];
        private long[] _costs = [];
        private bool[] _called = [];

        // The function being built.
        private List<Item> _items = [];
        private int _function;
        private int[] _data = [];
        private int _loop = -1;
        private readonly List<bool> _closedLoops = [];
        private long _multiplier = 1;
        private long _cost;

        public Builder(GeneratorOptions options, int seed)
        {
            _options = options;
            _random = new Random(seed);
            _seed = seed;
            _window = options.StackWindow;
            _inputLength = options.InputLength;
        }

        public GeneratedProgram Build()
        {
            _wild = _random.NextDouble() < _options.WildProgramRate;
            int count = 1 + _random.Next(_options.MinSubprograms, _options.MaxSubprograms + 1);
            _functions = new List<Item>[count];
            _costs = new long[count];
            _called = new bool[count];

            // Callees first, so that a caller knows what a call costs.
            for (int f = count - 1; f >= 0; f--)
                BuildFunction(f);

            var input = new byte[_inputLength];
            _random.NextBytes(input);
            for (int at = 0; at < input.Length; at += 8)
            {
                if (Chance(0.25))
                    BitConverter.TryWriteBytes(input.AsSpan(at, 8), Interesting64());
            }

            return new GeneratedProgram(_seed, Layout(), input, _wild);
        }

        // Functions.

        private void BuildFunction(int f)
        {
            _items = [];
            _function = f;
            _data = f == 0 ? [0, 1, 2, 3, 4, 5, 6, 7] : [0, 1, 2, 3, 4, 5, 6];
            _loop = -1;
            _closedLoops.Clear();
            _multiplier = 1;
            _cost = 0;

            Prologue();
            int length = f == 0 ? _options.MainLength : _options.SubprogramLength;
            length = _random.Next(Math.Max(1, (int)(length * _options.MinLengthFraction)), length + 1);
            if (_options.SpanningLoop)
            {
                // First thing after the prologue, so that nothing jumps over it.
                Loop(Math.Max(1, length * 7 / 10), _random.Next(2, _options.MaxLoopIterations + 1), closed: true);
                Statements(length * 3 / 10);
            }
            else
            {
                Statements(length);
            }

            // Often the next function too, so that chains of calls reach the frame limit.
            if (f > 0 && f + 1 < _functions.Length && Chance(0.6))
            {
                int first = _items.Count;
                LocalCall(f + 1);
                Seal(first);
            }

            // Every subprogram is called from somewhere, or it would not be a function at all.
            if (f == 0)
            {
                for (int callee = 1; callee < _functions.Length; callee++)
                {
                    if (!_called[callee])
                    {
                        int first = _items.Count;
                        LocalCall(callee);
                        Seal(first);
                    }
                }
            }

            Epilogue();
            if (Chance(0.15))
                TerminalLoop();
            else
                Emit(Encode(Exit));

            ResolveJumps();
            _functions[f] = _items;
            _costs[f] = _cost;
        }

        private void Prologue()
        {
            Emit(Encode(Mov64Reg, InputBase, 1));
            if (_function != 0)
                Emit(Encode(Mov64Reg, ParentWindow, 2));

            // r1 and r2 held addresses; from here on they hold data.
            Emit(Encode(Mov64Imm, 1, immediate: Interesting32()));
            if (_function != 0)
                Emit(Encode(Mov64Imm, 2, immediate: Interesting32()));

            if (_options.InitializeStack)
            {
                for (int offset = -_window; offset < 0; offset += 8)
                    Emit(Encode(StoreImmediate(8), FramePointer, offset: offset, immediate: Interesting32()));
            }

            int values = _random.Next(1, 5);
            for (int i = 0; i < values; i++)
            {
                int dst = DataRegister();
                switch (_random.Next(3))
                {
                    case 0: EmitWide(dst, Interesting64()); break;
                    case 1: Emit(Encode(Chance(0.5) ? Mov64Imm : Mov32Imm, dst, immediate: Interesting32())); break;
                    default:
                        var load = Pick(Loads);
                        Emit(Encode(load, dst, InputBase, offset: _random.Next(0, _inputLength - load.AccessSize + 1)));
                        break;
                }
            }
        }

        private void Epilogue()
        {
            // Fold every data register into r0 (multiplying in between, so that no two wrong values
            // cancel out) and some into memory, so that a wrong value anywhere shows in the outcome.
            foreach (int register in _data)
            {
                if (register == 0)
                    continue;
                Emit(Encode(Mul64Imm, 0, immediate: 0x1000_0193));
                Emit(Encode(Pick([Add64Reg, Sub64Reg, Xor64Reg]), 0, register));
            }

            if (Chance(0.7))
                Emit(Encode(Store(8), InputBase, DataRegister(), offset: 8 * _random.Next(0, _inputLength / 8)));
            if (Chance(0.5))
            {
                int scratch = DataRegister(except: 0);
                Emit(Encode(Load(8), scratch, FramePointer, offset: -8 * _random.Next(1, _window / 8 + 1)));
                Emit(Encode(Xor64Reg, 0, scratch));
            }
        }

        // Statements.

        private void Statements(int count)
        {
            int end = _items.Count + Math.Max(1, count);
            while (_items.Count < end)
                Statement();
        }

        private void Statement()
        {
            int first = _items.Count;
            int roll = Chance(_options.ArithmeticRate) ? 0 : _random.Next(100);
            switch (roll)
            {
                case < 35: Arithmetic(); break;
                case < 40: EmitWide(DataRegister(), Interesting64()); break;
                case < 52: ConditionalJump(); break;
                case < 55: UnconditionalJump(); break;
                case < 64: LoadStatement(); break;
                case < 72: StoreStatement(); break;
                case < 78: Atomic(); break;
                case < 81: HelperCall(); break;
                case < 85: LocalCall(); break;
                case < 88: PacketLoad(); break;
                case < 93:
                    if (_loop < 0)
                        Loop(_random.Next(1, _options.MaxLoopBody + 1), _random.Next(1, _options.MaxLoopIterations + 1));
                    else
                        Arithmetic();
                    break;
                case < 94:
                    // An early exit, usually skipped over by a jump.
                    if (Chance(0.5) && !InClosedLoop)
                        Emit(Encode(Exit));
                    else
                        Arithmetic();
                    break;
                default:
                    if (_wild)
                        WildAccess();
                    else
                        Arithmetic();
                    break;
            }

            // Sometimes a bare zero extension of what the statement wrote: a 32-bit operation that
            // changes nothing else, which a compiler may think redundant when it loses track of the writer.
            if (_items.Count > first && Chance(0.08) && WrittenRegister(_items[^1].Instruction) is int written && Array.IndexOf(_data, written) >= 0)
                Emit(Pick(s_zeroExtensions)(written));

            // A loop's body is its own statements; anything else is entered at its first instruction only.
            if (roll is < 88 or >= 93)
                Seal(first);
        }

        /// <summary>32-bit operations whose only effect is to zero the upper half of a register.</summary>
        private static readonly Func<int, Instruction>[] s_zeroExtensions =
        [
            r => Encode(Mov32Reg, r, r),
            r => Encode(Alu32(Operation.Arsh), r, immediate: 0),
            r => Encode(Alu32(Operation.Lsh), r, immediate: 32),
            r => Encode(Alu32(Operation.Rsh), r, immediate: 0),
            r => Encode(Alu32(Operation.And), r, immediate: -1),
            r => Encode(Alu32(Operation.Or), r, immediate: 0),
            r => Encode(Alu32(Operation.Add), r, immediate: 0),
            r => Encode(Alu32(Operation.Div), r, immediate: 1),
            r => Encode(Alu32(Operation.Mod), r, immediate: 0),
            r => Encode(InstructionRows.Arithmetic.Single(row => row.Operation == Operation.ToLe && row.Bits == 32), r),
        ];

        private static OpcodeInfo Alu32(Operation operation) =>
            InstructionRows.Arithmetic.Single(row => row.Operation == operation && !row.Is64 && !row.UsesSourceRegister);

        /// <summary>The register an instruction writes last (the old value's register for fetching atomics), if any.</summary>
        private static int? WrittenRegister(Instruction instruction)
        {
            if (!OpcodeTable.TryDescribe(instruction, out var info, out _))
                return null;
            return info!.Operation switch
            {
                Operation.AtomicCmpXchg or Operation.Call or Operation.Callx or Operation.CallLocal
                    or Operation.LoadPacketAbsolute or Operation.LoadPacketIndirect => 0,
                _ when info.Fetch => instruction.Src,
                _ when info.WritesDst => instruction.Dst,
                _ => null,
            };
        }

        /// <summary>
        /// Makes the items from <paramref name="first"/> on one statement: jumps may land on its first
        /// instruction only, so that none skips the setup (a computed pointer, the arguments of a
        /// call) that the rest relies on.
        /// </summary>
        private void Seal(int first)
        {
            for (int i = first + 1; i < _items.Count; i++)
                _items[i].Targetable = false;
        }

        private void Arithmetic()
        {
            var row = Pick(InstructionRows.Arithmetic);
            int dst = DataRegister();
            switch (row.Layout)
            {
                case OperandLayout.DstImm:
                    Emit(Encode(row, dst, immediate: ImmediateFor(row)));
                    break;
                case OperandLayout.DstSrc:
                {
                    int src = DataRegister();
                    bool is64 = row.Is64;
                    if (row.Operation is Operation.Div or Operation.SDiv or Operation.Mod or Operation.SMod && Chance(0.4))
                    {
                        // The cases BPF defines where IL would throw (x / 0, x % 0, INT_MIN / -1,
                        // INT_MIN % -1), and near misses that only look like them in the other width.
                        if (Chance(0.5))
                            EmitWide(dst, is64 ? Pick(s_dividends64) : Pick(s_dividends32));
                        EmitWide(src, Pick(s_divisors));
                    }
                    else if (row.Operation is Operation.Lsh or Operation.Rsh or Operation.Arsh && Chance(0.3))
                    {
                        Emit(Encode(Mov64Imm, src, immediate: ShiftCount(is64 ? 64 : 32)));
                    }

                    Emit(Encode(row, dst, src));
                    break;
                }

                default:
                    Emit(Encode(row, dst));
                    break;
            }
        }

        private void ConditionalJump()
        {
            bool far = Chance(_options.FarJumpRate);
            var row = Pick(ConditionalJumps);
            int dst = DataRegister();
            Instruction jump;
            if (far && (InClosedLoop || Chance(0.8)))
            {
                // Rarely taken: skipping far is worth testing, but not at the price of most of the
                // code (in a spanning loop, of most of the program on every iteration).
                jump = Encode(Condition(Operation.Jeq, Chance(0.5), register: false), dst, immediate: _random.Next(int.MinValue, int.MaxValue));
            }
            else if (row.UsesSourceRegister)
            {
                int src = DataRegister();
                if (Chance(0.25))
                    Emit(Encode(Chance(0.5) ? Mov64Reg : Mov32Reg, src, dst));
                jump = Encode(row, dst, src);
            }
            else
            {
                int immediate = Interesting32();
                if (Chance(0.2))
                    Emit(Encode(Chance(0.5) ? Mov64Imm : Mov32Imm, dst, immediate: immediate + _random.Next(-1, 2)));
                jump = Encode(row, dst, immediate: immediate);
            }

            EmitJump(jump, Link.Offset, target: -1);
            _items[^1].Far = far;
        }

        private void UnconditionalJump()
        {
            if (Chance(0.5))
                EmitJump(Encode(Ja), Link.Offset, target: -1);
            else
                EmitJump(Encode(Ja32), Link.Immediate, target: -1);
        }

        private void LoadStatement()
        {
            var row = Pick(Loads);
            Access(row, Location(row.AccessSize, aligned: false, row));
        }

        private void StoreStatement()
        {
            var row = Chance(0.6) ? Pick(Stores) : Pick(StoreImmediates);
            Access(row, Location(row.AccessSize, aligned: false, row));
        }

        private void Atomic()
        {
            var row = Pick(Atomics);
            Access(row, Location(row.AccessSize, aligned: true, row));
        }

        private void HelperCall()
        {
            switch (_random.Next(3))
            {
                case 0:
                    Emit(Encode(Call, immediate: DifferentialHelpers.MixId));
                    break;
                case 1:
                    Emit(Encode(Call, immediate: DifferentialHelpers.SaltedMixId));
                    break;
                default:
                    int target = DataRegister();
                    Emit(Encode(Mov64Imm, target, immediate: Chance(0.5) ? DifferentialHelpers.MixId : DifferentialHelpers.SaltedMixId));
                    Emit(Encode(Callx, target));
                    break;
            }
        }

        private void LocalCall()
        {
            if (_function == _functions.Length - 1)
            {
                Arithmetic();
                return;
            }

            // Often the next function, so that chains of calls reach the frame limit.
            int callee = Chance(0.5) ? _function + 1 : _random.Next(_function + 1, _functions.Length);
            if (_cost + _multiplier * (_costs[callee] + 8) > _options.MaxDynamicInstructions)
            {
                Arithmetic();
                return;
            }

            LocalCall(callee);
        }

        private void LocalCall(int callee)
        {
            // The callee gets the input in r1 and this frame's window in r2, or sometimes the
            // window this function was given, so that it reaches two frames up; r3-r5 carry data.
            Emit(Encode(Mov64Reg, 1, InputBase));
            if (_function > 0 && Chance(0.3))
            {
                Emit(Encode(Mov64Reg, 2, ParentWindow));
            }
            else
            {
                Emit(Encode(Mov64Reg, 2, FramePointer));
                Emit(Encode(Add64Imm, 2, immediate: -_window));
            }
            var call = new Item { Instruction = Encode(CallLocal), Link = Link.Call, Target = callee };
            Add(call);
            _cost += _multiplier * _costs[callee];
            _called[callee] = true;

            // The engines preserve r1-r5 across calls, so the addresses are still there: replace them.
            Emit(Encode(Mov64Imm, 1, immediate: Interesting32()));
            Emit(Encode(Mov64Imm, 2, immediate: Interesting32()));
        }

        private void PacketLoad()
        {
            var row = Pick(PacketLoads);
            int size = row.AccessSize;

            // Mostly inside the packet; outside, the program ends with r0 = 0 in both engines.
            int offset = Chance(_options.PacketAbortRate)
                ? Chance(0.5) ? -_random.Next(1, 5) : _inputLength - size + _random.Next(1, 5)
                : _random.Next(0, _inputLength - size + 1);
            if (row.Operation == Operation.LoadPacketAbsolute)
            {
                Emit(Encode(row, immediate: offset));
                return;
            }

            // The index register's upper half does not take part in the address.
            int index = DataRegister();
            int part = _random.Next(0, Math.Max(0, offset) + 9);
            if (Chance(0.3))
                EmitWide(index, ((ulong)(uint)_random.Next() << 32) | (uint)part);
            else
                Emit(Encode(Mov32Imm, index, immediate: part));
            Emit(Encode(row, src: index, immediate: offset - part));
        }

        private void Loop(int bodyLength, int iterations, bool closed = false)
        {
            if (_loop >= 0)
                throw new InvalidOperationException("loops do not nest: there is one counter register");

            // Limit what the loop may cost: fewer iterations, then none at all.
            while (iterations > 1 && _cost + _multiplier * iterations * (bodyLength + 3) > _options.MaxDynamicInstructions)
                iterations--;

            Emit(Encode(Chance(0.5) ? Mov64Imm : Mov32Imm, LoopCounter, immediate: iterations));
            long outer = _multiplier;
            _loop = NewLoop(closed);
            _multiplier *= iterations;
            int head = _items.Count;
            Statements(bodyLength);
            LoopTail(head);
            _loop = -1;
            _multiplier = outer;
        }

        private bool InClosedLoop => _loop >= 0 && _closedLoops[_loop];

        private int NewLoop(bool closed)
        {
            _closedLoops.Add(closed);
            return _closedLoops.Count - 1;
        }

        /// <summary>Decrements the counter and jumps back to <paramref name="head"/> while it is not zero.</summary>
        private void LoopTail(int head)
        {
            Decrement();
            bool is64 = Chance(0.5);
            switch (_random.Next(3))
            {
                case 0:
                {
                    // A conditional jump back: each of these holds exactly when the counter is at least 1.
                    var (operation, immediate) = Pick([(Operation.Jne, 0), (Operation.Jsgt, 0), (Operation.Jgt, 0), (Operation.Jge, 1), (Operation.Jsge, 1)]);
                    EmitJump(Encode(Condition(operation, is64, register: false), LoopCounter, immediate: immediate), Link.Offset, head, targetable: false);
                    break;
                }

                default:
                {
                    // Leave when the counter is zero, else an unconditional jump back.
                    var (operation, immediate) = Pick([(Operation.Jeq, 0), (Operation.Jle, 0), (Operation.Jlt, 1)]);
                    EmitJump(Encode(Condition(operation, is64, register: false), LoopCounter, immediate: immediate), Link.Offset, _items.Count + 2, targetable: false);
                    if (Chance(0.5))
                        EmitJump(Encode(Ja), Link.Offset, head, targetable: false);
                    else
                        EmitJump(Encode(Ja32), Link.Immediate, head, targetable: false);
                    break;
                }
            }
        }

        private void Decrement()
        {
            // Jumps in the body may continue the loop by jumping here, so this stays targetable.
            var (row, immediate) = Pick([(Add64Imm, -1), (Add32Imm, -1), (Sub64Imm, 1), (Sub32Imm, 1)]);
            Emit(Encode(row, LoopCounter, immediate: immediate));
        }

        /// <summary>
        /// Ends the function with a loop whose last instruction is a backward <c>ja</c>, leaving through
        /// a backward conditional jump to an <c>exit</c> placed before it.
        /// </summary>
        private void TerminalLoop()
        {
            int over = _items.Count;
            EmitJump(Encode(Ja), Link.Offset, over + 2);
            int exit = _items.Count;
            Emit(Encode(Exit));
            int iterations = _random.Next(1, _options.MaxLoopIterations + 1);
            Emit(Encode(Mov64Imm, LoopCounter, immediate: iterations));
            _loop = NewLoop(closed: false);
            long outer = _multiplier;
            _multiplier *= iterations;
            int head = _items.Count;
            Statements(_random.Next(1, _options.MaxLoopBody + 1));
            Decrement();
            var (operation, immediate) = Pick([(Operation.Jeq, 0), (Operation.Jle, 0), (Operation.Jlt, 1)]);
            EmitJump(Encode(Condition(operation, Chance(0.5), register: false), LoopCounter, immediate: immediate), Link.Offset, exit, targetable: false);
            if (Chance(0.5))
                EmitJump(Encode(Ja), Link.Offset, head, targetable: false);
            else
                EmitJump(Encode(Ja32), Link.Immediate, head, targetable: false);
            _loop = -1;
            _multiplier = outer;
        }

        // Memory.

        private enum Space
        {
            Stack,
            Input,
            Parent,
        }

        /// <summary>Where an access goes: <c>[Base + Offset]</c>; Computed when Base is a data register holding a pointer.</summary>
        private readonly record struct Place(int Base, int Offset, bool Computed);

        /// <summary>
        /// An in-bounds place for an access of <paramref name="size"/> bytes: a base register and an
        /// offset, and whether the base is a pointer computed in a data register.
        /// </summary>
        private Place Location(int size, bool aligned, OpcodeInfo row)
        {
            var space = (Space)_random.Next(_function == 0 ? 2 : 3);
            var (baseRegister, offset) = space switch
            {
                Space.Stack => (FramePointer, aligned ? -size * _random.Next(1, _window / size + 1) : _random.Next(-_window, -size + 1)),
                Space.Input => (InputBase, aligned ? size * _random.Next(0, _inputLength / size) : _random.Next(0, _inputLength - size + 1)),
                _ => (ParentWindow, aligned ? size * _random.Next(0, _window / size) : _random.Next(0, _window - size + 1)),
            };

            if (!Chance(0.2))
                return new Place(baseRegister, offset, Computed: false);

            // Through a pointer computed in a data register: base + k, then offset - k. A
            // compare-exchange reads r0, so the pointer goes elsewhere.
            int pointer = DataRegister(except: row.Operation == Operation.AtomicCmpXchg ? 0 : -1);
            int k = _random.Next(-64, 65);
            Emit(Encode(Mov64Reg, pointer, baseRegister));
            if (Chance(0.5))
                Emit(Encode(Add64Imm, pointer, immediate: k));
            else
                Emit(Encode(Sub64Imm, pointer, immediate: -k));
            return new Place(pointer, offset - k, Computed: true);
        }

        /// <summary>Emits <paramref name="row"/> at <c>[base + offset]</c>, with data registers for its values.</summary>
        private void Access(OpcodeInfo row, Place place)
        {
            var (baseRegister, offset, computed) = place;
            int written = -1;
            switch (row.Operation)
            {
                case Operation.Load or Operation.LoadSx or Operation.LoadAcquire:
                    written = DataRegister();
                    Emit(Encode(row, written, baseRegister, offset: offset));
                    break;
                case Operation.StoreImm:
                    Emit(Encode(row, baseRegister, offset: offset, immediate: Interesting32()));
                    break;
                case Operation.AtomicCmpXchg:
                    if (Chance(0.5) && baseRegister != 0)
                    {
                        // Make the comparison succeed, sometimes with junk in r0's upper half,
                        // which a 32-bit compare-exchange must ignore.
                        Emit(Encode(InstructionRows.Load(row.AccessSize), 0, baseRegister, offset: offset));
                        if (row.AccessSize == 4 && Chance(0.5))
                        {
                            int junk = DataRegister(except: 0);
                            if (junk != baseRegister)
                            {
                                EmitWide(junk, (ulong)_random.Next(1, int.MaxValue) << 32);
                                Emit(Encode(Or64Reg, 0, junk));
                            }
                        }
                    }

                    Emit(Encode(row, baseRegister, DataRegister(except: baseRegister), offset: offset));
                    written = 0;
                    break;
                default:
                    written = DataRegister(except: baseRegister);
                    Emit(Encode(row, baseRegister, written, offset: offset));
                    if (!row.Fetch)
                        written = -1;
                    break;
            }

            // A computed pointer does not outlive its use.
            if (computed && written != baseRegister)
                Emit(Encode(Mov64Imm, baseRegister, immediate: Interesting32()));
        }

        /// <summary>An access (or call) both engines must refuse with the same trap at the same instruction.</summary>
        private void WildAccess()
        {
            var row = Pick(MemoryAccesses);
            int size = row.AccessSize;
            switch (_random.Next(7))
            {
                case 0:
                    // Just outside the input, on either side.
                    Access(row, new Place(InputBase, Chance(0.5) ? -_random.Next(1, 9) : _inputLength - size + _random.Next(1, 9), Computed: false));
                    break;
                case 1:
                    // Straddling or starting at the end of the frame. Further up lies the engine's own
                    // frame (in the JIT) or the next, dead frame (interpreter); never a live one.
                    Access(row, new Place(FramePointer, _random.Next(-size + 1, 1), Computed: false));
                    break;
                case 2 when _function == 0:
                    // Below the entry frame: nothing is live there in either engine. (Below a callee's
                    // frame the interpreter keeps its caller's frame, so only main does this.)
                    Access(row, new Place(FramePointer, -Registers.StackFrameSize - _random.Next(1, 9), Computed: false));
                    break;
                case 2 or 3:
                    // Far below every frame.
                    Access(row, new Place(FramePointer, _random.Next(short.MinValue, -8191), Computed: false));
                    break;
                case 4:
                    // A data register as a pointer (data never holds an address).
                    Access(row, new Place(Chance(0.5) ? 0 : DataRegister(), _random.Next(short.MinValue, short.MaxValue + 1), Computed: false));
                    break;
                case 5:
                {
                    // A misaligned atomic on memory it could otherwise use.
                    var atomic = Pick(s_wideAtomics);
                    var place = Location(atomic.AccessSize, aligned: true, atomic);
                    Access(atomic, place with { Offset = place.Offset + _random.Next(1, atomic.AccessSize) });
                    break;
                }

                default:
                {
                    // Nothing is registered there, though some are a helper's number in their low 32 bits.
                    int target = DataRegister();
                    EmitWide(target, Pick(s_badCallTargets));
                    Emit(Encode(Callx, target));
                    break;
                }
            }
        }

        // Emission.

        private void Emit(Instruction instruction) => Add(new Item { Instruction = instruction });

        private void EmitWide(int dst, ulong value) => Add(new Item
        {
            Instruction = Encode(LoadImm64, dst, immediate: (int)(uint)value),
            Wide = true,
            High = (int)(uint)(value >> 32),
        });

        private void EmitJump(Instruction instruction, Link link, int target, bool targetable = true) =>
            Add(new Item { Instruction = instruction, Link = link, Target = target, Targetable = targetable });

        private void Add(Item item)
        {
            item.Loop = _loop;
            _items.Add(item);
            _cost += _multiplier;
        }

        /// <summary>Chooses targets for the forward jumps that have none yet.</summary>
        private void ResolveJumps()
        {
            for (int i = 0; i < _items.Count; i++)
            {
                var item = _items[i];
                if (item.Link is Link.Offset or Link.Immediate && item.Target < 0)
                    item.Target = ForwardTarget(i, item.Far);
            }
        }

        /// <summary>
        /// A target after item <paramref name="source"/>: inside the same loop or outside every loop
        /// (a jump may leave a loop, never enter one), and not a loop's exit test or backward jump.
        /// </summary>
        private int ForwardTarget(int source, bool far)
        {
            int count = _items.Count;
            int loop = _items[source].Loop;
            bool closed = loop >= 0 && _closedLoops[loop];
            bool Valid(int k) => _items[k].Targetable && (_items[k].Loop == loop || _items[k].Loop < 0 && !closed);

            for (int attempt = 0; attempt < 24; attempt++)
            {
                int k = far
                    ? _random.Next(source + 1, Math.Min(count, source + 1 + Math.Min(_options.FarJumpDistance, MaxJumpItems)))
                    : source + 1 + _random.Next(0, _random.Next(1, 17));
                if (k < count && Valid(k))
                    return k;
            }

            for (int k = source + 1; k < count && k <= source + MaxJumpItems; k++)
            {
                if (Valid(k))
                    return k;
            }

            throw new InvalidOperationException($"seed {_seed}: no forward target for item {source} of function {_function}");
        }

        /// <summary>Places the functions one after another and patches jump offsets and call immediates.</summary>
        private Instruction[] Layout()
        {
            var starts = new int[_functions.Length];
            int slot = 0;
            for (int f = 0; f < _functions.Length; f++)
            {
                starts[f] = slot;
                foreach (var item in _functions[f])
                {
                    item.Slot = slot;
                    slot += item.Wide ? 2 : 1;
                }
            }

            var slots = new Instruction[slot];
            foreach (var items in _functions)
            {
                foreach (var item in items)
                {
                    var instruction = item.Instruction;
                    switch (item.Link)
                    {
                        case Link.Offset:
                            instruction = WithOffset(instruction, items[item.Target].Slot - item.Slot - 1);
                            break;
                        case Link.Immediate:
                            instruction = WithImmediate(instruction, items[item.Target].Slot - item.Slot - 1);
                            break;
                        case Link.Call:
                            instruction = WithImmediate(instruction, starts[item.Target] - item.Slot - 1);
                            break;
                    }

                    slots[item.Slot] = instruction;
                    if (item.Wide)
                        slots[item.Slot + 1] = new Instruction(0, immediate: item.High);
                }
            }

            return slots;
        }

        // Choices.

        private bool Chance(double probability) => _random.NextDouble() < probability;

        private T Pick<T>(T[] choices) => choices[_random.Next(choices.Length)];

        private int DataRegister(int except = -1)
        {
            while (true)
            {
                int register = _data[_random.Next(_data.Length)];
                if (register != except)
                    return register;
            }
        }

        private int ImmediateFor(OpcodeInfo row) => row.Operation switch
        {
            Operation.Lsh or Operation.Rsh or Operation.Arsh => ShiftCount(row.Is64 ? 64 : 32),
            Operation.Div or Operation.SDiv or Operation.Mod or Operation.SMod =>
                Chance(0.5) ? Pick([0, 1, -1, 2, 3, 7, 10, 16, int.MinValue, int.MaxValue, -2, -7]) : Interesting32(),
            _ => Interesting32(),
        };

        /// <summary>A shift count: mostly in range, sometimes at or beyond the width (BPF masks it).</summary>
        private int ShiftCount(int width) => _random.Next(8) switch
        {
            < 5 => _random.Next(width),
            5 => width + _random.Next(width * 2),
            6 => Pick([0, 1, width - 1, width]),
            _ => _random.Next(int.MinValue, int.MaxValue),
        };

        private int Interesting32() => _random.Next(10) switch
        {
            0 => Pick([0, 1, -1]),
            1 => Pick([int.MinValue, int.MaxValue, int.MinValue + 1, int.MaxValue - 1]),
            2 => 1 << _random.Next(31),
            3 => -(1 << _random.Next(31)),
            4 or 5 => _random.Next(-16, 17),
            6 => Pick([0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 31, 32, 63, 64]),
            7 => Pick([unchecked((int)0xff00ff00), 0x00ff00ff, unchecked((int)0x80008000), 0x12345678]),
            _ => _random.Next(int.MinValue, int.MaxValue),
        };

        private ulong Interesting64() => _random.Next(8) switch
        {
            0 => Pick([0UL, 1UL, ulong.MaxValue]),
            1 => Pick([0x8000_0000_0000_0000UL, 0x7FFF_FFFF_FFFF_FFFFUL, 0x8000_0000_0000_0001UL]),
            2 => Pick([0xFFFF_FFFFUL, 0x8000_0000UL, 0x7FFF_FFFFUL, 0x1_0000_0000UL, 0xFFFF_FFFF_8000_0000UL, 0xFFFF_FFFF_0000_0000UL]),
            3 => 1UL << _random.Next(64),
            4 => (ulong)(long)Interesting32(),
            5 => (uint)Interesting32(),
            _ => (ulong)_random.NextInt64(long.MinValue, long.MaxValue),
        };
    }
}
