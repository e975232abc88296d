using Bpf.Isa;

namespace Bpf.Tests.Jit;

/// <summary>
/// Large programs built from instructions: long runs of arithmetic with forward branches, a loop
/// whose back edge crosses thousands of slots, and calls into a large subprogram, so that the
/// JIT must split functions into regions.
/// </summary>
internal static class LargeProgram
{
    /// <summary>
    /// A program of about <paramref name="length"/> slots whose result is known without running it:
    /// it counts, in r0, how many times a loop body of <paramref name="length"/> / 2 slots ran
    /// (<paramref name="iterations"/>), while the body churns r1-r5 with arithmetic that does not
    /// touch r0, r6 or r7, and calls a subprogram of <paramref name="length"/> / 4 slots that adds 1000.
    /// </summary>
    public static Bytecode CountingLoop(int length, int iterations, int seed = 1)
    {
        var random = new Random(seed);
        var main = new List<Instruction>
        {
            new(0xb7, 0, 0, 0, 0),             // r0 = 0
            new(0xb7, 6, 0, 0, iterations),    // r6 = iterations
        };
        int loopStart = main.Count;
        main.Add(new Instruction(0x07, 0, 0, 0, 1)); // r0 += 1
        Churn(main, random, length / 2);
        main.Add(new Instruction(0x07, 6, 0, 0, -1)); // r6 -= 1
        int jumpSlot = main.Count;
        main.Add(new Instruction(0x55, 6, 0, (short)(loopStart - (jumpSlot + 1)), 0)); // if r6 != 0 goto loop
        main.Add(new Instruction(0xbf, 7, 0, 0, 0)); // r7 = r0
        int callSlot = main.Count;
        main.Add(new Instruction(0x85, 0, 1, 0, 0)); // call local sub (target patched below)
        main.Add(new Instruction(0x0f, 0, 7, 0, 0)); // r0 += r7
        main.Add(new Instruction(0x95));

        var sub = new List<Instruction> { new(0xb7, 0, 0, 0, 1000) }; // r0 = 1000
        Churn(sub, random, length / 4);
        sub.Add(new Instruction(0x95));

        main[callSlot] = new Instruction(0x85, 0, 1, 0, main.Count - (callSlot + 1));
        return Bytecode.Create([.. main, .. sub]);
    }

    /// <summary>Appends <paramref name="count"/> slots of arithmetic on r1-r5 with forward jumps over some of them.</summary>
    private static void Churn(List<Instruction> slots, Random random, int count)
    {
        byte[] opcodes = [0x0f, 0x1f, 0x2f, 0x4f, 0x5f, 0xaf, 0x07, 0x17, 0x27, 0x0c, 0x04, 0x67, 0x77, 0xc7, 0x3f, 0x9f, 0xd4];
        int end = slots.Count + count;
        while (slots.Count < end)
        {
            int dst = random.Next(1, 6);
            if (random.Next(20) == 0 && slots.Count + 4 < end)
            {
                slots.Add(new Instruction(0x25, dst, 0, 2, random.Next(0, 100))); // if dst > k goto +2
                continue;
            }

            byte opcode = opcodes[random.Next(opcodes.Length)];
            if (opcode == 0xd4)
            {
                slots.Add(new Instruction(opcode, dst, 0, 0, 32)); // le32
                continue;
            }

            bool immediate = (opcode & 0x08) == 0;
            int imm = (opcode & 0xf0) is 0x60 or 0x70 or 0xc0 ? random.Next(0, 64) : random.Next();
            slots.Add(new Instruction(opcode, dst, immediate ? 0 : random.Next(1, 6), 0, immediate ? imm : 0));
        }
    }
}
