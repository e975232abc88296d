using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Bpf.Cli.CommandLine;
using Bpf.Cli.Input;
using Bpf.Runtime;
using Bpf.Verification;

namespace Bpf.Cli.Commands;

/// <summary><c>bpfjit verify</c>: the verifier's verdict on each program of a file.</summary>
internal sealed class VerifyCommand : Command
{
    private static readonly OptionSpec s_program = new("program", "NAME", "Verify only this program of an object file.");

    private static readonly OptionSpec s_json = new("json", null, "Print the verdicts as JSON.");

    private static readonly OptionSpec s_log = new("log", null, "Print the state at each instruction, like the kernel's verbose log.");

    private static readonly OptionSpec s_privileged = new("privileged", null, "Apply Linux's rules for root instead of the strict policy (uninitialized stack readable, pointers may leak).");

    private static readonly OptionSpec s_strictAlignment = new("strict-alignment", null, "Require every access aligned, as BPF_F_STRICT_ALIGNMENT does.");

    public override CommandSpec Spec { get; } = new(
        "verify", "Prove programs safe, or say why they are not.", "FILE [--program NAME] [--json] [--log] [--privileged] [--strict-alignment]",
        """
        FILE is an object file (each program is verified with its maps and type) or bytecode,
        assembly or a .data file (a raw-memory program: r1 points to input memory whose length is
        r2). Prints one verdict per program; a rejection gives the diagnostic's code (BPF0nnn),
        the instruction, the C source line when the object has line info, and the registers
        involved. Exits 1 when any program is rejected. The strict policy is the default: it also
        refuses reads of stack bytes never written and pointers escaping to the host;
        --privileged applies the rules Linux applies to root.
        """,
        1, 1, [s_program, s_json, s_log, s_privileged, s_strictAlignment]);

    public override int Execute(ParsedArguments args, ToolConsole console)
    {
        string path = args.Positionals[0];
        var verdicts = new List<(string Name, VerificationResult Result, double Milliseconds)>();
        bool log = args.Has(s_log.Name);
        var policy = args.Has(s_privileged.Name) ? VerifierPolicy.Privileged : VerifierPolicy.Strict;
        bool strictAlignment = args.Has(s_strictAlignment.Name);
        if (ObjectFiles.IsObject(path))
        {
            using var obj = ObjectFiles.Load(path);
            var programs = args.Value(s_program.Name) is { } name ? [ObjectRunner.Select(obj, name, Spec.Name)] : obj.ProgramList;
            foreach (var program in programs)
                verdicts.Add(Verify(program.Name, program.Code, VerifierOptions.For(program) with { Log = log, Policy = policy, StrictAlignment = strictAlignment }));
        }
        else
        {
            if (args.Has(s_program.Name))
                throw new UsageException("--program applies to object files", Spec.Name);
            var loaded = ProgramLoader.Load(path);
            verdicts.Add(Verify(Path.GetFileNameWithoutExtension(path), loaded.Bytecode, new VerifierOptions { Type = ProgramType.RawMemory, Log = log, Policy = policy, StrictAlignment = strictAlignment }));
        }

        if (args.Has(s_json.Name))
            WriteJson(console.Out, verdicts);
        else
            WriteText(console.Out, verdicts);
        return verdicts.All(v => v.Result.IsAccepted) ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static (string, VerificationResult, double) Verify(string name, Bpf.Isa.Bytecode code, VerifierOptions options)
    {
        var clock = Stopwatch.StartNew();
        var result = ProgramVerifier.Verify(code, options);
        return (name, result, clock.Elapsed.TotalMilliseconds);
    }

    private static void WriteText(TextWriter output, List<(string Name, VerificationResult Result, double Milliseconds)> verdicts)
    {
        foreach (var (name, result, milliseconds) in verdicts)
        {
            foreach (var line in result.Log ?? [])
                output.WriteLine(line);
            string cost = string.Create(CultureInfo.InvariantCulture,
                $"{result.InstructionsProcessed} instructions processed, {result.StatesStored} states, {result.StatesPruned} pruned, {milliseconds:F1} ms");
            output.WriteLine($"{name}: {(result.IsAccepted ? "accepted" : "rejected")} ({cost})");
            foreach (var diagnostic in result.Diagnostics)
                output.WriteLine($"  {diagnostic}");
        }
    }

    private static void WriteJson(TextWriter output, List<(string Name, VerificationResult Result, double Milliseconds)> verdicts)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var (name, result, milliseconds) in verdicts)
            {
                json.WriteStartObject();
                json.WriteString("program", name);
                json.WriteBoolean("accepted", result.IsAccepted);
                json.WriteNumber("instructionsProcessed", result.InstructionsProcessed);
                json.WriteNumber("statesStored", result.StatesStored);
                json.WriteNumber("milliseconds", Math.Round(milliseconds, 3));
                json.WriteStartArray("diagnostics");
                foreach (var diagnostic in result.Diagnostics)
                {
                    json.WriteStartObject();
                    json.WriteString("code", diagnostic.CodeText);
                    json.WriteNumber("instruction", diagnostic.Instruction);
                    json.WriteString("text", diagnostic.InstructionText);
                    if (diagnostic.Source is { } source)
                        json.WriteString("source", source.Location);
                    json.WriteString("message", diagnostic.Message);
                    json.WriteStartArray("registers");
                    foreach (var register in diagnostic.Registers ?? [])
                        json.WriteStringValue(register);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
