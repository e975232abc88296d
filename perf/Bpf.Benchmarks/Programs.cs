using Bpf.Isa;

namespace Bpf.Benchmarks;

/// <summary>Programs the benchmarks run, built from instructions so they need no assembler or files.</summary>
internal static class Programs
{
    /// <summary><c>mov r0, 0; exit</c>.</summary>
    public static Bytecode Empty { get; } = Bytecode.Create([new Instruction(0xb7, 0, 0, 0, 0), new Instruction(0x95)]);

    /// <summary>
    /// A straight-line program of <paramref name="length"/> instructions: 64-bit and 32-bit arithmetic
    /// on r0-r9 with a forward conditional jump every 50 instructions, the shape of real code.
    /// </summary>
    public static Bytecode Arithmetic(int length, int seed = 1)
    {
        var random = new Random(seed);
        byte[] opcodes = [0x0f, 0x1f, 0x2f, 0x4f, 0x5f, 0xaf, 0x07, 0x17, 0x27, 0x0c, 0x04, 0x67, 0x77, 0xc7, 0xbf, 0xb7];
        var slots = new List<Instruction>(length + 1);
        for (int i = 0; i < length - 1; i++)
        {
            int dst = random.Next(0, 10);
            if (i % 50 == 49 && i + 3 < length)
            {
                slots.Add(new Instruction(0x15, dst, 0, 2, random.Next(0, 3)));
                continue;
            }

            byte opcode = opcodes[random.Next(opcodes.Length)];
            bool immediate = (opcode & 0x08) == 0;
            int imm = (opcode & 0xf0) is 0x60 or 0x70 or 0xc0 ? random.Next(0, 64) : random.Next();
            slots.Add(new Instruction(opcode, dst, immediate ? 0 : random.Next(0, 10), 0, immediate ? imm : 0));
        }

        slots.Add(new Instruction(0x95));
        return Bytecode.Create(slots.ToArray());
    }

    /// <summary>
    /// A loop that sums the bytes of its input: <c>r0 = sum(r1[0..r2))</c>, the shape of a packet parser.
    /// </summary>
    public static Bytecode ByteSum { get; } = Bytecode.Create(
    [
        new Instruction(0xb7, 0, 0, 0, 0),       // r0 = 0
        new Instruction(0xbf, 3, 1, 0, 0),       // r3 = r1
        new Instruction(0x0f, 2, 1, 0, 0),       // r2 += r1 (end)
        new Instruction(0x3d, 3, 2, 4, 0),       // loop: if r3 >= r2 goto out
        new Instruction(0x71, 4, 3, 0, 0),       // r4 = *(u8 *)(r3 + 0)
        new Instruction(0x0f, 0, 4, 0, 0),       // r0 += r4
        new Instruction(0x07, 3, 0, 0, 1),       // r3 += 1
        new Instruction(0x05, 0, 0, -5, 0),      // goto loop
        new Instruction(0x95),                   // out: exit
    ]);
}
