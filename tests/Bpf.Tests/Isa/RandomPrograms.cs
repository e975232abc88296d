using Bpf.Isa;

namespace Bpf.Tests.Isa;

/// <summary>
/// Random instructions and random structurally valid programs, for round-trip tests. Field values
/// favour the edges (0, -1, the extremes of each field) where text formatting goes wrong.
/// </summary>
internal static class RandomPrograms
{
    private static readonly short[] s_offsets = [0, 1, -1, 8, -8, 0x7f, short.MinValue, short.MaxValue];
    private static readonly int[] s_immediates = [0, 1, -1, 16, 0x7f, 0xff, int.MinValue, int.MaxValue, -0x10000];

    /// <summary>
    /// One instance of <paramref name="row"/>: its operand fields random, its discriminator set, its
    /// reserved fields zero. An <c>lddw</c> comes with its second slot (whose immediate is zero for
    /// the pseudo sources that validation requires it to be zero for: map fds and indices, functions).
    /// </summary>
    public static Instruction[] Instance(OpcodeInfo row, Random random)
    {
        var operands = row.Operands;
        int dst = (operands & InstructionFields.Dst) != 0 ? Register(random, row.WritesDst) : 0;
        int src = (operands & InstructionFields.Src) != 0 ? Register(random, row.WritesSrc) : 0;
        short offset = (operands & InstructionFields.Offset) != 0 ? Offset(random) : (short)0;
        int immediate = (operands & InstructionFields.Immediate) == 0 ? 0
            : row.AllowedImmediates.Count > 0 ? row.AllowedImmediates[random.Next(row.AllowedImmediates.Count)]
            : Immediate(random);
        switch (row.Discriminator)
        {
            case InstructionFields.Src:
                src = row.DiscriminatorValue;
                break;
            case InstructionFields.Offset:
                offset = (short)row.DiscriminatorValue;
                break;
            case InstructionFields.Immediate:
                immediate = row.DiscriminatorValue;
                break;
        }

        var first = new Instruction(row.Opcode, dst, src, offset, immediate);
        if (row.SlotCount == 1)
            return [first];
        bool secondMustBeZero = row.PseudoSource is LoadImm64Source.MapFd or LoadImm64Source.MapIndex or LoadImm64Source.Function;
        return [first, new Instruction(0, immediate: secondMustBeZero ? 0 : Immediate(random))];
    }

    /// <summary>
    /// A random valid program of one to <paramref name="maxFunctions"/> functions. Jumps stay inside
    /// their function, local calls only go to later functions (so there is no recursion and at most
    /// <paramref name="maxFunctions"/> frames), function addresses name function starts, and every
    /// function ends in <c>exit</c>, <c>ja</c> or <c>ja32</c>.
    /// </summary>
    public static Instruction[] Program(Random random, int maxFunctions = 4, int maxLength = 30)
    {
        var all = OpcodeTable.All;
        var exit = all.Single(r => r.Operation == Operation.Exit);
        var ja = all.Single(r => r.Operation == Operation.Ja);
        var ja32 = all.Single(r => r.Operation == Operation.Ja32);

        int functionCount = random.Next(1, maxFunctions + 1);
        var bodies = new List<List<OpcodeInfo>>();
        for (int f = 0; f < functionCount; f++)
        {
            var body = new List<OpcodeInfo>();
            int length = random.Next(0, maxLength);
            while (body.Count < length)
            {
                var row = all[random.Next(all.Count)];
                if (row.Operation == Operation.CallLocal && f == functionCount - 1)
                    continue;
                body.Add(row);
            }

            int end = random.Next(10);
            body.Add(end < 8 ? exit : end == 8 ? ja : ja32);
            bodies.Add(body);
        }

        var starts = new int[functionCount];
        var instructionStarts = new List<int>[functionCount];
        int slot = 0;
        for (int f = 0; f < functionCount; f++)
        {
            starts[f] = slot;
            instructionStarts[f] = [];
            foreach (var row in bodies[f])
            {
                instructionStarts[f].Add(slot);
                slot += row.SlotCount;
            }
        }

        var slots = new List<Instruction>();
        for (int f = 0; f < functionCount; f++)
        {
            foreach (var row in bodies[f])
            {
                int at = slots.Count;
                var instance = Instance(row, random);
                long? target = null;
                if (row.IsJump)
                    target = instructionStarts[f][random.Next(instructionStarts[f].Count)];
                else if (row.Operation == Operation.CallLocal)
                    target = starts[random.Next(f + 1, functionCount)];
                else if (row.PseudoSource == LoadImm64Source.Function)
                    target = starts[random.Next(functionCount)];

                if (target is { } t)
                {
                    int relative = (int)(t - at - 1);
                    var i = instance[0];
                    instance[0] = row.Operation == Operation.Ja || row.IsConditionalJump
                        ? new Instruction(i.Opcode, i.Dst, i.Src, (short)relative, i.Immediate)
                        : new Instruction(i.Opcode, i.Dst, i.Src, i.Offset, relative);
                }

                slots.AddRange(instance);
            }
        }

        return [.. slots];
    }

    private static int Register(Random random, bool written) => random.Next(written ? Registers.FramePointer : Registers.Count);

    private static short Offset(Random random) =>
        random.Next(3) == 0 ? (short)random.Next(short.MinValue, short.MaxValue + 1) : s_offsets[random.Next(s_offsets.Length)];

    private static int Immediate(Random random) =>
        random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : s_immediates[random.Next(s_immediates.Length)];
}
