using System.Collections.Immutable;

namespace Bpf.Isa;

/// <summary>
/// A structurally valid BPF program: every instruction is a known encoding with its reserved
/// fields zero and its registers in range, every jump lands on an instruction inside its own
/// function, every function ends in <c>exit</c> or an unconditional jump, and local calls form
/// no cycle and nest at most <see cref="Registers.MaxCallDepth"/> frames deep. It says nothing
/// about memory safety: that is the verifier's job, or checked mode's at run time.
/// </summary>
public sealed class Bytecode
{
    /// <summary>The most instruction slots a program may have (the kernel's limit too).</summary>
    public const int MaxInstructions = 1_000_000;

    private readonly Instruction[] _instructions;
    private readonly OpcodeInfo?[] _infos;
    private readonly int[] _functionOfSlot;

    private Bytecode(Instruction[] instructions, OpcodeInfo?[] infos, BpfFunction[] functions, int[] functionOfSlot)
    {
        _instructions = instructions;
        _infos = infos;
        Functions = functions;
        _functionOfSlot = functionOfSlot;
    }

    /// <summary>The instruction slots (an <c>lddw</c> takes two).</summary>
    public ReadOnlySpan<Instruction> Instructions => _instructions;

    /// <summary>The number of instruction slots.</summary>
    public int Length => _instructions.Length;

    /// <summary>The functions, the entry point first, in the order they appear.</summary>
    public IReadOnlyList<BpfFunction> Functions { get; }

    /// <summary>The instruction in slot <paramref name="index"/>.</summary>
    public Instruction this[int index] => _instructions[index];

    /// <summary>
    /// The table row of the instruction starting at slot <paramref name="index"/>, or null for the
    /// second slot of an <c>lddw</c>.
    /// </summary>
    public OpcodeInfo? InfoAt(int index) => _infos[index];

    /// <summary>The function that slot <paramref name="index"/> belongs to.</summary>
    public BpfFunction FunctionOf(int index) => Functions[_functionOfSlot[index]];

    /// <summary>The function that starts at slot <paramref name="start"/>, or null.</summary>
    public BpfFunction? FunctionStartingAt(int start)
    {
        if ((uint)start >= (uint)_instructions.Length)
            return null;
        var function = Functions[_functionOfSlot[start]];
        return function.Start == start ? function : null;
    }

    /// <summary>The 64-bit immediate of the <c>lddw</c> at slot <paramref name="index"/>.</summary>
    public ulong Immediate64At(int index) =>
        (uint)_instructions[index].Immediate | ((ulong)(uint)_instructions[index + 1].Immediate << 32);

    /// <summary>The program as little-endian bytecode.</summary>
    public byte[] ToBytes() => Instruction.WriteAll(_instructions);

    /// <summary>Decodes and validates little-endian bytecode.</summary>
    /// <exception cref="InvalidBytecodeException">The bytecode is not a valid program; the message names the instruction.</exception>
    public static Bytecode Decode(ReadOnlySpan<byte> bytecode) => Create(Instruction.ReadAll(bytecode));

    /// <summary>Validates a sequence of instruction slots.</summary>
    /// <param name="instructions">The slots.</param>
    /// <param name="functionNames">Names for functions by their first slot (symbols or labels); others get defaults.</param>
    /// <exception cref="InvalidBytecodeException">The program is not valid; the message names the instruction.</exception>
    public static Bytecode Create(ReadOnlySpan<Instruction> instructions, IReadOnlyDictionary<int, string>? functionNames = null)
    {
        var slots = instructions.ToArray();
        var infos = DecodeSlots(slots);
        var functions = FindFunctions(slots, infos, functionNames, out var functionOfSlot);
        CheckJumps(slots, infos, functions, functionOfSlot);
        CheckEnds(slots, infos, functions);
        CheckCallGraph(slots, infos, functions, functionOfSlot);
        return new Bytecode(slots, infos, functions, functionOfSlot);
    }

    private static OpcodeInfo?[] DecodeSlots(Instruction[] slots)
    {
        if (slots.Length == 0)
            throw new InvalidBytecodeException(-1, "the program has no instructions");
        if (slots.Length > MaxInstructions)
            throw new InvalidBytecodeException(-1, $"the program has {slots.Length} instructions; at most {MaxInstructions} are allowed");

        var infos = new OpcodeInfo?[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            if (!OpcodeTable.TryDescribe(slots[i], out var info, out var error))
                throw new InvalidBytecodeException(i, $"{error} [{slots[i].ToHex()}]");
            infos[i] = info;
            if (info!.SlotCount == 2)
            {
                if (i + 1 >= slots.Length)
                    throw new InvalidBytecodeException(i, "lddw needs a second instruction slot, but the program ends");
                var next = slots[i + 1];
                if (next.Opcode != 0 || next.Dst != 0 || next.Src != 0 || next.Offset != 0)
                    throw new InvalidBytecodeException(i + 1, $"the second slot of lddw must have opcode, registers and offset zero [{next.ToHex()}]");
                if (next.Immediate != 0 && info.PseudoSource is LoadImm64Source.MapFd or LoadImm64Source.MapIndex or LoadImm64Source.Function)
                    throw new InvalidBytecodeException(i + 1, $"the second slot of an lddw of a {info.PseudoSource} must have immediate zero [{next.ToHex()}]");
                i++;
            }
        }

        return infos;
    }

    private static BpfFunction[] FindFunctions(
        Instruction[] slots, OpcodeInfo?[] infos, IReadOnlyDictionary<int, string>? names, out int[] functionOfSlot)
    {
        var starts = new SortedSet<int> { 0 };
        for (int i = 0; i < slots.Length; i++)
        {
            var info = infos[i];
            if (info is null || !(info.Operation == Operation.CallLocal || info.PseudoSource == LoadImm64Source.Function && info.Operation == Operation.LoadImm64))
                continue;
            long target = info.TargetOf(slots[i], i)!.Value;
            string what = info.Operation == Operation.CallLocal ? "call local" : "lddw of a function address";
            CheckTargetSlot(infos, i, target, what);
            starts.Add((int)target);
        }

        var startList = starts.ToArray();
        var functions = new BpfFunction[startList.Length];
        functionOfSlot = new int[slots.Length];
        for (int index = 0; index < startList.Length; index++)
        {
            int start = startList[index];
            int end = index + 1 < startList.Length ? startList[index + 1] : slots.Length;
            string name = names is not null && names.TryGetValue(start, out var n) ? n : start == 0 ? "main" : $"func_{start}";
            functions[index] = new BpfFunction(index, start, end, name);
            for (int slot = start; slot < end; slot++)
                functionOfSlot[slot] = index;
        }

        for (int i = 0; i < slots.Length; i++)
        {
            if (infos[i] is { Operation: Operation.LoadImm64, PseudoSource: LoadImm64Source.Function } info)
                functions[functionOfSlot[(int)info.TargetOf(slots[i], i)!.Value]].IsAddressTaken = true;
        }

        return functions;
    }

    private static void CheckTargetSlot(OpcodeInfo?[] infos, int index, long target, string what)
    {
        if (target < 0 || target >= infos.Length)
            throw new InvalidBytecodeException(index, $"{what} target {target} is outside the program (instructions 0-{infos.Length - 1})");
        if (infos[target] is null)
            throw new InvalidBytecodeException(index, $"{what} target {target} is the second slot of an lddw");
    }

    private static void CheckJumps(Instruction[] slots, OpcodeInfo?[] infos, BpfFunction[] functions, int[] functionOfSlot)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            var info = infos[i];
            if (info is null || !info.IsJump)
                continue;
            long target = info.TargetOf(slots[i], i)!.Value;
            CheckTargetSlot(infos, i, target, "jump");
            var function = functions[functionOfSlot[i]];
            if (!function.Contains((int)target))
                throw new InvalidBytecodeException(i, $"jump target {target} is outside function {function.Name} (instructions {function.Start}-{function.End - 1})");
        }
    }

    private static void CheckEnds(Instruction[] slots, OpcodeInfo?[] infos, BpfFunction[] functions)
    {
        foreach (var function in functions)
        {
            int last = function.End - 1;
            var info = infos[last];
            if (info is null || !(info.Operation == Operation.Exit || info.IsUnconditionalJump))
            {
                string where = function.Index == 0 && functions.Length == 1 ? "the program" : $"function {function.Name}";
                throw new InvalidBytecodeException(last, $"{where} falls off its end: its last instruction is not exit or an unconditional jump");
            }
        }
    }

    private static void CheckCallGraph(Instruction[] slots, OpcodeInfo?[] infos, BpfFunction[] functions, int[] functionOfSlot)
    {
        var callSite = new Dictionary<(int Caller, int Callee), int>();
        foreach (var function in functions)
        {
            var callees = new List<int>();
            for (int i = function.Start; i < function.End; i++)
            {
                if (infos[i] is { Operation: Operation.CallLocal } info)
                {
                    int callee = functionOfSlot[(int)info.TargetOf(slots[i], i)!.Value];
                    if (!callees.Contains(callee))
                    {
                        callees.Add(callee);
                        callSite[(function.Index, callee)] = i;
                    }
                }
            }

            function.Callees = callees;
        }

        // Depth-first search: a function on the current path that is called again is recursion.
        // The path never grows past the frame limit, so hostile call chains cannot exhaust our own stack.
        var state = new byte[functions.Length]; // 0 unvisited, 1 on the path, 2 done
        var path = new List<int>();

        int Visit(int f, int viaCallSite)
        {
            path.Add(f);
            if (path.Count > Registers.MaxCallDepth)
            {
                throw new InvalidBytecodeException(viaCallSite,
                    $"calls nest more than {Registers.MaxCallDepth} frames deep ({string.Join(" -> ", path.Select(x => functions[x].Name))})");
            }

            state[f] = 1;
            int deepest = 0;
            foreach (int callee in functions[f].Callees)
            {
                int site = callSite[(f, callee)];
                if (state[callee] == 1)
                {
                    var cycle = path.SkipWhile(x => x != callee).Append(callee).Select(x => functions[x].Name);
                    throw new InvalidBytecodeException(site, $"recursive call: {string.Join(" -> ", cycle)}");
                }

                int depth = state[callee] == 2 ? functions[callee].FrameDepth : Visit(callee, site);
                if (path.Count + depth > Registers.MaxCallDepth)
                {
                    throw new InvalidBytecodeException(site,
                        $"calls nest more than {Registers.MaxCallDepth} frames deep (through {string.Join(" -> ", path.Select(x => functions[x].Name))} -> {functions[callee].Name}, which needs {depth} more)");
                }

                deepest = Math.Max(deepest, depth);
            }

            path.RemoveAt(path.Count - 1);
            state[f] = 2;
            functions[f].FrameDepth = deepest + 1;
            return deepest + 1;
        }

        for (int f = 0; f < functions.Length; f++)
        {
            if (state[f] == 0)
                Visit(f, functions[f].Start);
        }
    }
}
