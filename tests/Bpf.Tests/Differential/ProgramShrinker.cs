using System.Diagnostics;
using Bpf.Isa;

namespace Bpf.Tests.Differential;

/// <summary>
/// Makes a failing program smaller: removes runs of instructions (halving the run length down to
/// single instructions) while the program stays valid and the failure persists, retargeting the
/// jumps and calls that cross a removed run. A jump into a removed run lands on the instruction
/// after it.
/// </summary>
public static class ProgramShrinker
{
    /// <summary>Shrinks <paramref name="program"/> while <paramref name="fails"/> holds, for at most <paramref name="timeLimit"/>.</summary>
    /// <param name="program">A program for which <paramref name="fails"/> is true.</param>
    /// <param name="fails">Whether a candidate (valid bytecode) still shows the failure.</param>
    /// <param name="timeLimit">When to stop trying and return the smallest program found.</param>
    public static Instruction[] Shrink(Instruction[] program, Func<Bytecode, bool> fails, TimeSpan timeLimit)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(fails);
        var clock = Stopwatch.StartNew();
        var current = program;
        int run = Math.Max(1, Starts(current).Count / 2);
        while (run >= 1 && clock.Elapsed < timeLimit)
        {
            bool removed = false;
            var starts = Starts(current);

            // From the end backwards, so that indices still to try are not shifted by a removal.
            for (int i = starts.Count - run; i >= 0 && clock.Elapsed < timeLimit; i -= run)
            {
                starts = Starts(current);
                if (i + run > starts.Count)
                    continue;
                int from = starts[i];
                int to = i + run < starts.Count ? starts[i + run] : current.Length;
                var candidate = Remove(current, from, to);
                if (candidate is null || !TryCreate(candidate, out var bytecode) || !fails(bytecode))
                    continue;
                current = candidate;
                removed = true;
            }

            if (!removed)
                run /= 2;
        }

        return current;
    }

    /// <summary>
    /// <paramref name="slots"/> without the slots <c>[from, to)</c>, which start and end on
    /// instruction boundaries, with every jump and call retargeted; null if an offset no longer fits.
    /// </summary>
    public static Instruction[]? Remove(Instruction[] slots, int from, int to)
    {
        int removed = to - from;
        if (removed <= 0 || removed >= slots.Length)
            return null;

        int NewIndex(long slot) => (int)(slot < from ? slot : slot >= to ? slot - removed : from);

        var result = new List<Instruction>(slots.Length - removed);
        for (int pc = 0; pc < slots.Length; pc++)
        {
            if (pc >= from && pc < to)
                continue;
            var insn = slots[pc];
            if (OpcodeTable.TryDescribe(insn, out var info, out _) && info!.TargetOf(insn, pc) is { } target)
            {
                int relative = NewIndex(target) - NewIndex(pc) - 1;
                if (info.Operation == Operation.Ja || info.IsConditionalJump)
                {
                    if (relative is < short.MinValue or > short.MaxValue)
                        return null;
                    insn = InstructionRows.WithOffset(insn, relative);
                }
                else
                {
                    insn = InstructionRows.WithImmediate(insn, relative);
                }
            }

            result.Add(insn);
            if (info is { SlotCount: 2 } && pc + 1 < slots.Length)
                result.Add(slots[++pc]);
        }

        return result.ToArray();
    }

    /// <summary>The slots where instructions start (an <c>lddw</c>'s second slot is not one).</summary>
    public static List<int> Starts(Instruction[] slots)
    {
        var starts = new List<int>(slots.Length);
        for (int pc = 0; pc < slots.Length; pc++)
        {
            starts.Add(pc);
            if (OpcodeTable.TryDescribe(slots[pc], out var info, out _) && info!.SlotCount == 2)
                pc++;
        }

        return starts;
    }

    private static bool TryCreate(Instruction[] slots, out Bytecode bytecode)
    {
        try
        {
            bytecode = Bytecode.Create(slots);
            return true;
        }
        catch (InvalidBytecodeException)
        {
            bytecode = null!;
            return false;
        }
    }
}
