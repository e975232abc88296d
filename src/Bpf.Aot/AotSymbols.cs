using Bpf.Elf.Btf;
using Bpf.Runtime;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Bpf.Aot;

/// <summary>
/// The debugging information of a written assembly: sequence points that map the IL of each BPF
/// instruction to its C source line (BTF.ext line info: a line covers the instructions from its
/// own up to the next line's), and to its line in the disassembly listing where the object has no
/// line info.
/// </summary>
internal static class AotSymbols
{
    /// <summary>A line number that tells debuggers the code belongs to no line (the prologue).</summary>
    private const int HiddenLine = 0xFEEFEE;

    public static void Add(ModuleDefinition module, IReadOnlyList<AotProgramWriter> written, IReadOnlyList<BpfProgram> programs, AotAssemblyWriter.Listing listing, string listingName)
    {
        var documents = new Dictionary<string, Document>(StringComparer.Ordinal);
        var listingDocument = new Document(listingName) { Language = DocumentLanguage.Other, Type = DocumentType.Text };
        for (int p = 0; p < written.Count; p++)
        {
            var writer = written[p];
            var program = programs[p];
            var lines = program.Lines.OrderBy(l => l.Instruction).ToArray();
            foreach (var plan in writer.Plan.Methods)
            {
                var method = writer.BackEnd.MethodOf(plan);
                var points = method.DebugInformation.SequencePoints;
                var starts = writer.BackEnd.InstructionStartsOf(plan);
                if (starts.Count == 0)
                    continue;
                if (method.Body.Instructions[0] != starts[0].First)
                    points.Add(new SequencePoint(method.Body.Instructions[0], listingDocument) { StartLine = HiddenLine, EndLine = HiddenLine });

                (Document Document, int Line)? last = null;
                foreach (var (pc, first) in starts)
                {
                    var source = LineOf(lines, pc);
                    SequencePoint point;
                    if (source is not null && source.Line > 0)
                    {
                        if (!documents.TryGetValue(source.FileName, out var document))
                        {
                            document = new Document(source.FileName) { Language = DocumentLanguage.C, Type = DocumentType.Text };
                            documents.Add(source.FileName, document);
                        }

                        int column = Math.Max(source.Column, 1);
                        point = new SequencePoint(first, document)
                        {
                            StartLine = source.Line,
                            EndLine = source.Line,
                            StartColumn = column,
                            EndColumn = Math.Max(column + 1, source.SourceText.Length + 1),
                        };
                    }
                    else
                    {
                        int line = listing.LineOf(program.Name, pc);
                        point = new SequencePoint(first, listingDocument) { StartLine = line, EndLine = line, StartColumn = 1, EndColumn = 80 };
                    }

                    // Instructions of one source line share its sequence point.
                    if (last is { } previous && previous.Document == point.Document && previous.Line == point.StartLine)
                        continue;
                    points.Add(point);
                    last = (point.Document, point.StartLine);
                }
            }
        }
    }

    /// <summary>The line whose range covers instruction <paramref name="pc"/>: the last at or before it.</summary>
    private static BtfLineInfo? LineOf(BtfLineInfo[] lines, int pc)
    {
        int lo = 0, hi = lines.Length - 1;
        BtfLineInfo? found = null;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (lines[mid].Instruction <= pc)
            {
                found = lines[mid];
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }
}
