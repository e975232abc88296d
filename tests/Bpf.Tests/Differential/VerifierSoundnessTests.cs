using System.Text;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Verification;

namespace Bpf.Tests.Differential;

/// <summary>
/// The verifier's promise, tested at random: a program it accepts never faults. Seeded random
/// raw-memory programs (r1 = the input, r2 = its length) are built from what makes verification
/// hard: length guards, byte loads at fixed and computed offsets, masks, pointer arithmetic,
/// spills and fills of scalars and pointers (whole and narrow), forward branches whose paths meet
/// with different registers and slots (where pruning must not cut an unsafe path short), and
/// small bounded loops. Every accepted one runs in checked mode on the reference interpreter on
/// inputs of every length up to past the largest offset; a trap (out of bounds, a runaway loop)
/// is a program the verifier should have rejected. Where it ran safely, the JIT runs it as a
/// verified program (unchecked, with the verifier's facts in place of division and shift guards)
/// and must give the same result and memory. Both policies.
/// </summary>
public class VerifierSoundnessTests
{
    private const int ProgramsPerPolicy = 20000;
    private const int MaxInputLength = 48;

    [TestCase(VerifierPolicy.Strict, 1)]
    [TestCase(VerifierPolicy.Privileged, 2)]
    public void AcceptedProgramsNeverFault(VerifierPolicy policy, int seed)
    {
        var random = new Random(seed);
        int accepted = 0;
        var failures = new List<string>();
        for (int n = 0; n < ProgramsPerPolicy && failures.Count < 3; n++)
        {
            string source = RandomProgram(random);
            Bytecode code;
            try
            {
                code = Assembler.Assemble(source);
            }
            catch (InvalidBytecodeException e)
            {
                Assert.Fail($"{e.Message}\n{Listing(source)}");
                return;
            }

            var verdict = ProgramVerifier.Verify(code, new VerifierOptions { Policy = policy });
            if (!verdict.IsAccepted)
                continue;
            accepted++;
            var image = new ProgramImage(code);
            var interpreter = InterpreterEngine.Instance.Prepare(image, ExecutionOptions.Default with { InstructionBudget = 100_000 });

            // The privileged policy lets programs read stack they never wrote, which holds
            // whatever was there (the interpreter's is zeroed, the JIT's not): such programs
            // compute different numbers on the two, so only those the strict policy accepts too
            // are compared.
            bool comparable = policy == VerifierPolicy.Strict || ProgramVerifier.Verify(code).IsAccepted;
            var jit = comparable ? JitEngine.Instance.Prepare(image, ExecutionOptions.Default with { Checked = false, Facts = verdict.Facts, VerifierPolicy = policy }) : null;
            for (int length = 0; length <= MaxInputLength; length++)
            {
                var input = new byte[length];
                random.NextBytes(input);
                var outcome = DifferentialRunner.Run(interpreter, input);
                if (outcome.Kind != OutcomeKind.Returned)
                {
                    failures.Add($"program {n}, {length}-byte input: {outcome.Summary}\n{Listing(source)}");
                    break;
                }

                // Safe on this input, so the JIT may run it as a verified program: no checks, the
                // verifier's facts in place of guards. It must compute the same.
                if (jit is null)
                    continue;
                var unverified = DifferentialRunner.Run(jit, input);
                if (!unverified.Equals(outcome))
                {
                    failures.Add($"program {n}, {length}-byte input: the unchecked JIT gives {unverified}, the interpreter {outcome}\n{Listing(source)}");
                    break;
                }
            }
        }

        TestContext.Out.WriteLine($"{policy}: {accepted} of the programs accepted");
        Assert.That(failures, Is.Empty, "accepted programs that fault");
        Assert.That(accepted, Is.GreaterThan(ProgramsPerPolicy / 25), "too few programs accepted for the test to mean much");
    }

    /// <summary>
    /// The same for XDP programs, where safety rests on comparisons of packet pointers with
    /// <c>data_end</c>: random range checks (both comparison directions), loads and stores at fixed
    /// and masked variable offsets, and <c>bpf_xdp_adjust_head</c>, after which the old packet
    /// pointers must not be used (the program reloads them, or not). Each accepted program runs
    /// on packets of 1 to 64 bytes, in frames with no headroom or tailroom, so that checked mode
    /// traps on any byte outside the packet.
    /// </summary>
    [TestCase(VerifierPolicy.Strict, 3)]
    [TestCase(VerifierPolicy.Privileged, 4)]
    public void AcceptedPacketProgramsNeverFault(VerifierPolicy policy, int seed)
    {
        var random = new Random(seed);
        var xdp = ProgramType.ForKind(BpfProgramKind.Xdp);
        int accepted = 0;
        var failures = new List<string>();
        for (int n = 0; n < ProgramsPerPolicy && failures.Count < 3; n++)
        {
            string source = RandomPacketProgram(random);
            var code = Assembler.Assemble(source);
            var verdict = ProgramVerifier.Verify(code, new VerifierOptions { Type = xdp, Policy = policy });
            if (!verdict.IsAccepted)
                continue;
            accepted++;
            var image = new ProgramImage(code, type: xdp);
            var interpreter = InterpreterEngine.Instance.Prepare(image, ExecutionOptions.Default with { InstructionBudget = 100_000 });
            bool comparable = policy == VerifierPolicy.Strict || ProgramVerifier.Verify(code, new VerifierOptions { Type = xdp }).IsAccepted;
            var jit = comparable ? JitEngine.Instance.Prepare(image, ExecutionOptions.Default with { Checked = false, Facts = verdict.Facts, VerifierPolicy = policy }) : null;
            for (int length = 1; length <= 64; length++)
            {
                var packet = new byte[length];
                random.NextBytes(packet);
                XdpResult checkedRun;
                try
                {
                    checkedRun = XdpContext.Run(interpreter, packet, headroom: 0, tailroom: 0);
                }
                catch (BpfRuntimeException trap)
                {
                    failures.Add($"program {n}, {length}-byte packet: {trap.Message}\n{Listing(source)}");
                    break;
                }

                if (jit is null)
                    continue;
                var uncheckedRun = XdpContext.Run(jit, packet, headroom: 0, tailroom: 0);
                if (uncheckedRun.ReturnValue != checkedRun.ReturnValue || !uncheckedRun.Packet.AsSpan().SequenceEqual(checkedRun.Packet)
                    || uncheckedRun.HeadAdjustment != checkedRun.HeadAdjustment)
                {
                    failures.Add($"program {n}, {length}-byte packet: the unchecked JIT gives r0 = {uncheckedRun.ReturnValue}, packet {Outcome.Hex(uncheckedRun.Packet)}; "
                        + $"the interpreter r0 = {checkedRun.ReturnValue}, packet {Outcome.Hex(checkedRun.Packet)}\n{Listing(source)}");
                    break;
                }
            }
        }

        TestContext.Out.WriteLine($"{policy}: {accepted} of the packet programs accepted");
        Assert.That(failures, Is.Empty, "accepted packet programs that fault");
        Assert.That(accepted, Is.GreaterThan(ProgramsPerPolicy / 25), "too few programs accepted for the test to mean much");
    }

    /// <summary>
    /// One XDP program: r6 the context, r7 <c>data</c>, r8 <c>data_end</c>, r3-r5 and r9 small
    /// numbers; random steps; r0 = XDP_PASS; <c>exit</c>.
    /// </summary>
    private static string RandomPacketProgram(Random random)
    {
        var lines = new List<string>
        {
            "mov %r6, %r1",
            "ldxw %r7, [%r6+0]",
            "ldxw %r8, [%r6+4]",
            "mov %r0, 2",
        };
        foreach (int r in new[] { 3, 4, 5, 9 })
            lines.Add($"mov %r{r}, {random.Next(0, 8)}");
        for (int slot = 8; slot <= 24; slot += 8)
            lines.Add($"stdw [%r10-{slot}], {random.Next(0, 8)}");
        int proven = 0;
        int steps = random.Next(6, 24);
        for (int i = 0; i < steps; i++)
        {
            string a = PacketScalar(random);
            string b = PacketScalar(random);
            switch (random.Next(10))
            {
                case 0 or 1:
                {
                    // A range check, in one of its two shapes.
                    int size = random.Next(1, 40);
                    lines.Add($"mov {a}, %r7");
                    lines.Add($"add {a}, {size}");
                    lines.Add(random.Next(2) == 0 ? $"jgt {a}, %r8, +{{END}}" : $"jle {a}, %r8, +1\nja +{{END}}");
                    proven = Math.Max(proven, size);
                    break;
                }

                case 2:
                    lines.Add($"ldxb {a}, [%r7+{random.Next(0, proven + 3)}]");
                    break;
                case 3:
                    lines.Add($"stxb [%r7+{random.Next(0, proven + 3)}], {a}");
                    break;
                case 4:
                {
                    // A masked variable offset with its own range check.
                    int extra = random.Next(1, 9);
                    string pointer = PacketScalar(random);
                    lines.Add($"and {b}, {(1 << random.Next(1, 5)) - 1}");
                    lines.Add($"mov {pointer}, %r7");
                    lines.Add($"add {pointer}, {b}");
                    lines.Add($"mov {a}, {pointer}");
                    lines.Add($"add {a}, {extra}");
                    if (random.Next(5) > 0)
                        lines.Add($"jgt {a}, %r8, +{{END}}");
                    lines.Add($"ldxb {a}, [{pointer}+{random.Next(0, extra + 1)}]");
                    break;
                }

                case 5:
                    lines.Add($"mov {a}, {random.Next(0, 40)}");
                    break;
                case 6:
                    lines.Add(random.Next(2) == 0 ? $"and {a}, {random.Next(1, 64)}" : $"add {a}, {b}");
                    break;
                case 7:
                {
                    string[] conditions = ["jeq", "jne", "jgt", "jlt", "jsgt"];
                    lines.Add($"{conditions[random.Next(conditions.Length)]} {a}, {random.Next(0, 40)}, +{{{random.Next(0, 5)}}}");
                    break;
                }

                case 8:
                    // Moving the packet's start makes every packet pointer stale.
                    lines.Add("mov %r1, %r6");
                    lines.Add($"mov %r2, {random.Next(-8, 9)}");
                    lines.Add("call 44");
                    if (random.Next(3) > 0)
                    {
                        lines.Add("ldxw %r7, [%r6+0]");
                        lines.Add("ldxw %r8, [%r6+4]");
                        proven = 0;
                    }

                    lines.Add("mov %r0, 2");
                    foreach (int r in new[] { 3, 4, 5 })
                        lines.Add($"mov %r{r}, {random.Next(0, 8)}");
                    break;
                default:
                    lines.Add($"stxdw [%r10-{8 * random.Next(1, 4)}], {(random.Next(3) == 0 ? "%r7" : a)}");
                    lines.Add($"ldxdw {a}, [%r10-{8 * random.Next(1, 4)}]");
                    break;
            }
        }

        lines.Add("mov %r0, 2");
        lines.Add("exit");
        var expanded = string.Join('\n', lines).Split('\n');
        return ResolveJumps(expanded, exit: expanded.Length - 2, loops: []);
    }

    /// <summary>A register the packet programs use for numbers and scratch pointers (r7, r8 hold data and data_end, r6 the context).</summary>
    private static string PacketScalar(Random random) => $"%r{new[] { 3, 4, 5, 9 }[random.Next(4)]}";

    private static string Listing(string source) =>
        string.Join('\n', source.Split('\n').Select((line, i) => $"{i,3}: {line}"));

    /// <summary>
    /// One program: r0 and r3-r9 start as small numbers, a length guard may come first, then
    /// random steps, then <c>exit</c>. Jumps only go forward or close a counted loop, so every
    /// program ends; whether it is safe is up to the verifier.
    /// </summary>
    private static string RandomProgram(Random random)
    {
        var lines = new List<string> { "mov %r0, 0" };
        var loops = new List<(int Top, int End)>();
        for (int r = 3; r <= 9; r++)
            lines.Add($"mov %r{r}, {random.Next(0, 8)}");
        for (int slot = 8; slot <= 32; slot += 8)
        {
            if (random.Next(4) > 0)
                lines.Add($"stdw [%r10-{slot}], {random.Next(0, 8)}");
        }

        // Most programs check the length first; loads mostly stay below the checked length.
        int guard = random.Next(5) > 0 ? random.Next(1, 33) : 0;
        if (guard > 0)
            lines.Add($"jlt %r2, {guard}, +{{END}}");

        int steps = random.Next(8, 28);
        for (int i = 0; i < steps; i++)
            AddStep(random, lines, loops, guard);
        lines.Add("exit");

        return ResolveJumps(lines, exit: lines.Count - 1, loops);
    }

    /// <summary>
    /// The program text with "+{END}" jumps aimed at <paramref name="exit"/> and "+{k}" forward
    /// offsets clamped to it, never into the body of one of <paramref name="loops"/> from before it
    /// (its counter would not be set).
    /// </summary>
    private static string ResolveJumps(IReadOnlyList<string> lines, int exit, IReadOnlyList<(int Top, int End)> loops)
    {
        var program = new StringBuilder();
        for (int pc = 0; pc < lines.Count; pc++)
        {
            string line = lines[pc];
            int open = line.IndexOf("+{", StringComparison.Ordinal);
            if (open >= 0)
            {
                string what = line[(open + 2)..line.IndexOf('}', open)];
                int target = what == "END" ? exit : Math.Min(exit, pc + 1 + int.Parse(what, System.Globalization.CultureInfo.InvariantCulture));
                foreach (var (top, end) in loops)
                {
                    if (target >= top && target <= end && pc < top)
                        target = end + 1;
                }

                line = line[..open] + "+" + (target - pc - 1);
            }

            program.Append(line).Append('\n');
        }

        return program.ToString();
    }

    private static string Scalar(Random random) => $"%r{random.Next(3, 10)}";

    private static void AddStep(Random random, List<string> lines, List<(int Top, int End)> loops, int guard)
    {
        int Offset(int slack) => random.Next(0, Math.Max(1, guard) + slack);
        string a = Scalar(random);
        string b = Scalar(random);
        switch (random.Next(20))
        {
            case 0:
                lines.Add($"mov {a}, {random.Next(-4, 40)}");
                break;
            case 1:
                lines.Add($"ldxb {a}, [%r1+{Offset(3)}]");
                break;
            case 2:
                lines.Add($"and {a}, {(1 << random.Next(1, 6)) - 1}");
                break;
            case 3:
                lines.Add($"add {a}, {random.Next(-8, 16)}");
                break;
            case 4:
                lines.Add(random.Next(2) == 0 ? $"add {a}, {b}" : $"rsh {a}, {random.Next(1, 4)}");
                break;
            case 5:
            {
                // A pointer into the input at a computed offset, then a load through it.
                string pointer = Scalar(random);
                if (random.Next(4) > 0)
                    lines.Add($"and {b}, {(1 << random.Next(1, 4)) - 1}");
                lines.Add($"mov {pointer}, %r1");
                lines.Add($"add {pointer}, {b}");
                lines.Add($"ldxb {a}, [{pointer}+{Offset(2) / 2}]");
                break;
            }

            case 6:
                lines.Add($"stxdw [%r10-{8 * random.Next(1, 5)}], {(random.Next(4) == 0 ? "%r1" : a)}");
                break;
            case 7:
                lines.Add($"ldxdw {a}, [%r10-{8 * random.Next(1, 5)}]");
                break;
            case 8:
            {
                // Narrow stores and loads at the start of a slot (narrow spills) and elsewhere.
                int slot = 8 * random.Next(1, 5);
                int width = 1 << random.Next(0, 3);
                string suffix = width switch { 1 => "b", 2 => "h", _ => "w" };
                int offset = random.Next(2) == 0 ? slot : slot - width;
                lines.Add(random.Next(2) == 0 ? $"stx{suffix} [%r10-{offset}], {a}" : $"st{suffix} [%r10-{offset}], {random.Next(0, 40)}");
                break;
            }

            case 9:
            {
                int slot = 8 * random.Next(1, 5);
                int width = 1 << random.Next(0, 3);
                string suffix = width switch { 1 => "b", 2 => "h", _ => "w" };
                lines.Add($"ldx{suffix} {a}, [%r10-{(random.Next(2) == 0 ? slot : slot - width)}]");
                break;
            }

            case 10 or 11:
            {
                string[] conditions = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jslt", "jset"];
                string condition = conditions[random.Next(conditions.Length)];
                string right = random.Next(3) switch { 0 => b, 1 => "%r2", _ => random.Next(0, 40).ToString(System.Globalization.CultureInfo.InvariantCulture) };
                lines.Add($"{condition} {a}, {right}, +{{{random.Next(0, 6)}}}");
                break;
            }

            case 14:
            {
                // Other arithmetic, 64- or 32-bit (a 32-bit result is zero-extended).
                string[] operations = ["sub", "mul", "xor", "or", "lsh", "arsh", "neg", "mod", "div"];
                string operation = operations[random.Next(operations.Length)];
                string width = random.Next(3) == 0 ? "32" : "";
                lines.Add(operation == "neg" ? $"neg{width} {a}"
                    : operation is "lsh" or "arsh" ? $"{operation}{width} {a}, {random.Next(0, 8)}"
                    : random.Next(2) == 0 ? $"{operation}{width} {a}, {b}" : $"{operation}{width} {a}, {random.Next(1, 9)}");
                break;
            }

            case 15:
            {
                // Wider loads and stores on the input.
                int width = 1 << random.Next(1, 4);
                string suffix = width switch { 2 => "h", 4 => "w", _ => "dw" };
                lines.Add(random.Next(2) == 0
                    ? $"ldx{suffix} {a}, [%r1+{Offset(2)}]"
                    : $"stx{suffix} [%r1+{Offset(2)}], {a}");
                break;
            }

            case 16:
            {
                // A stack pointer moved by a bounded number, then used.
                string pointer = Scalar(random);
                lines.Add($"and {b}, {8 * random.Next(1, 3) - 1}");
                lines.Add($"mov {pointer}, %r10");
                lines.Add($"add {pointer}, -{8 * random.Next(2, 5)}");
                lines.Add($"add {pointer}, {b}");
                lines.Add(random.Next(2) == 0 ? $"ldxb {a}, [{pointer}+0]" : $"stb [{pointer}+0], {random.Next(0, 9)}");
                break;
            }

            case 17:
            {
                // 32-bit and signed comparisons.
                string[] conditions = ["jeq32", "jne32", "jgt32", "jlt32", "jsgt32", "jslt32", "jsge", "jsle"];
                lines.Add($"{conditions[random.Next(conditions.Length)]} {a}, {random.Next(-4, 40)}, +{{{random.Next(0, 6)}}}");
                break;
            }

            case 18:
                // A number the verifier knows nothing of (bpf_get_prandom_u32), kept in a callee-saved register.
                lines.Add("call 7");
                lines.Add($"mov %r{random.Next(6, 9)}, %r0");
                lines.Add("mov %r0, 0");
                break;
            case 12:
                // An index checked against the length, then used.
                lines.Add($"jge {a}, %r2, +{{3}}");
                lines.Add($"mov {b}, %r1");
                lines.Add($"add {b}, {a}");
                lines.Add($"ldxb {a}, [{b}+0]");
                break;
            default:
            {
                // A counted loop of a few steps; its body has no jumps of its own.
                lines.Add($"mov %r9, {random.Next(1, 4)}");
                int top = lines.Count;
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    int before = lines.Count;
                    int loopsBefore = loops.Count;
                    AddStep(random, lines, loops, guard);
                    bool jumps = lines.Skip(before).Any(l => l.StartsWith('j') || l.Contains("%r9", StringComparison.Ordinal));
                    if (jumps)
                    {
                        lines.RemoveRange(before, lines.Count - before);
                        loops.RemoveRange(loopsBefore, loops.Count - loopsBefore);
                    }
                }

                lines.Add("sub %r9, 1");
                lines.Add($"jne %r9, 0, -{lines.Count - top + 1}");
                loops.Add((top, lines.Count - 1));
                break;
            }
        }
    }
}
