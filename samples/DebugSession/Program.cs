// The managed half of debug-session.sh (see docs/aot.md, "A debugging session"):
//   run ASSEMBLY PROGRAM BYTE...  prints "host PID ready", waits for a line on stdin (the debugger
//                                 attaches meanwhile), then runs PROGRAM of the assembly's
//                                 precompiled object on the bytes and prints the result;
//   locate ASSEMBLY FILE:LINE     prints the method token and IL offset of the line's sequence point;
//   symbolize                     copies stdin to stdout, naming the frames the debugger printed
//                                 ("PATH!0xTOKEN IL_OFFSET") and adding their source line.
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Bpf.Runtime.Aot;
using Bpf.Samples.DebugSession;

switch (args.FirstOrDefault())
{
    case "run" when args.Length >= 3:
        return Run(args[1], args[2], args.Skip(3).Select(b => byte.Parse(b, CultureInfo.InvariantCulture)).ToArray());
    case "locate" when args.Length == 3 && args[2].LastIndexOf(':') is > 0 and int colon
                                       && int.TryParse(args[2][(colon + 1)..], CultureInfo.InvariantCulture, out int line):
        using (var lines = new SourceLines(args[1]))
        {
            if (lines.Find(args[2][..colon], line) is not (int token, int offset))
            {
                Console.Error.WriteLine($"DebugSession: no sequence point on {args[2]} in {args[1]}");
                return 1;
            }
            Console.WriteLine($"0x{token:x8} 0x{offset:x} {lines.MethodName(token)}");
            return 0;
        }
    case "symbolize":
        Symbolize(Console.In, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine("usage: DebugSession run ASSEMBLY PROGRAM BYTE... | locate ASSEMBLY FILE:LINE | symbolize");
        return 2;
}

static int Run(string assemblyPath, string programName, byte[] input)
{
    // Loaded before the debugger attaches: attaching announces the loaded modules, which is when
    // the debugger sets its breakpoint. The methods are compiled later, at their first call.
    var type = Assembly.LoadFrom(Path.GetFullPath(assemblyPath)).GetExportedTypes().Single(t => t.IsSubclassOf(typeof(PrecompiledObject)));
    Console.WriteLine($"host {Environment.ProcessId} ready");
    Console.ReadLine();
    using var precompiled = (PrecompiledObject)Activator.CreateInstance(type)!;
    ulong result = precompiled.Program(programName).Run(input);
    Console.WriteLine($"host: {programName}([{string.Join(", ", input)}]) = {result}");
    return 0;
}

static void Symbolize(TextReader input, TextWriter output)
{
    var frame = new Regex(@"(?<path>/\S+\.dll)!0x(?<token>[0-9a-f]{8}) IL_(?<offset>[0-9a-f]+)");
    var assemblies = new Dictionary<string, SourceLines>();
    while (input.ReadLine() is string text)
    {
        output.WriteLine(frame.Replace(text, match =>
        {
            string path = match.Groups["path"].Value;
            int token = int.Parse(match.Groups["token"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int offset = int.Parse(match.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (!assemblies.TryGetValue(path, out var lines))
                assemblies[path] = lines = new SourceLines(path);
            string where = lines.Line(token, offset) is string line ? $" at {line}" : "";
            return $"{Path.GetFileNameWithoutExtension(path)}!{lines.MethodName(token)} IL_{offset:x4}{where}";
        }));
    }
    foreach (var lines in assemblies.Values)
        lines.Dispose();
}
