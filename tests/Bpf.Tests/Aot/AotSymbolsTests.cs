using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Bpf.Aot;
using Bpf.Runtime;

namespace Bpf.Tests.Aot;

/// <summary>
/// The portable PDB <c>bpfjit aot</c> writes, read back with System.Reflection.Metadata as a
/// debugger reads it: its sequence points must put a breakpoint on a C source line at the IL of
/// the instructions BTF line info gives that line.
/// </summary>
public class AotSymbolsTests
{
    [TestCase("loops")]
    [TestCase("config")]
    [TestCase("tail_calls")]
    public void SequencePointsFollowTheObjectsLineInfo(string sample)
    {
        var bytes = File.ReadAllBytes(RepositoryFiles.SampleObject(sample));
        var written = AotAssemblyWriter.WriteObject(bytes, sample);
        using var obj = BpfObject.Load(bytes, sample);
        var points = ReadSequencePoints(written);

        foreach (var program in obj.ProgramList)
        {
            Assert.That(program.Lines, Is.Not.Empty, $"{sample}: the sample has no line info to test against");
            string prefix = program.Name + "_bpf_";
            var ofProgram = points.Where(p => p.Method.StartsWith(prefix, StringComparison.Ordinal)).ToList();

            // Every C line the line info names for the program has a breakpoint location, and no other does.
            var expected = program.Lines.Where(l => l.Line > 0).Select(l => (Path.GetFileName(l.FileName), l.Line)).ToHashSet();
            var actual = ofProgram.Where(p => p.Document.EndsWith(".c", StringComparison.Ordinal)).Select(p => (Path.GetFileName(p.Document), p.Line)).ToHashSet();
            Assert.That(actual, Is.EquivalentTo(expected), $"{sample}/{program.Name}");

            // The first line of the program is where its entry method starts running BPF code.
            var entry = ofProgram.Where(p => p.Method == prefix + program.Code.Functions[0].Name && p.Line != 0xFEEFEE).MinBy(p => p.Offset)!;
            Assert.That(entry.Line, Is.EqualTo(program.LineOf(0)!.Line), $"{sample}/{program.Name}: the first breakpoint of the entry method");
        }
    }

    [Test]
    public void ALineOfASubprogramStopsInThatSubprogramsMethod()
    {
        // A debugger's breakpoint on a line of the bpf_loop callback in loops.c must bind to the
        // method of the callback (a BPF function of its own), not to the program's entry.
        var bytes = File.ReadAllBytes(RepositoryFiles.SampleObject("loops"));
        using var obj = BpfObject.Load(bytes, "loops");
        var (program, line) = obj.ProgramList
            .SelectMany(p => p.Lines.Select(l => (Program: p, Line: l)))
            .First(x => x.Line.Line > 0 && x.Program.Code.FunctionOf(x.Line.Instruction).Index > 0);
        var function = program.Code.FunctionOf(line.Instruction);
        Assert.That(function.Name, Is.Not.EqualTo(program.Code.Functions[0].Name));

        var points = ReadSequencePoints(AotAssemblyWriter.WriteObject(bytes, "loops"));
        var hits = points.Where(p => p.Document.EndsWith("loops.c", StringComparison.Ordinal) && p.Line == line.Line).ToList();
        Assert.That(hits, Is.Not.Empty);
        Assert.That(hits.Select(h => h.Method), Has.All.EqualTo($"{program.Name}_bpf_{function.Name}"));
        Assert.That(hits.Select(h => h.Column), Has.All.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void TheListingCoversEveryInstruction()
    {
        var bytes = File.ReadAllBytes(RepositoryFiles.SampleObject("xdp_counter"));
        using var obj = BpfObject.Load(bytes, "xdp_counter");
        var written = AotAssemblyWriter.WriteObject(bytes, "xdp_counter");
        Assert.That(written.ListingName, Is.EqualTo("xdp_counter.bpf.s"));
        var code = obj.ProgramList[0].Code;
        int instructions = Enumerable.Range(0, code.Length).Count(pc => code.InfoAt(pc) is not null);
        Assert.That(written.Listing.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*\d+: ")), Is.EqualTo(instructions));
    }

    private sealed record Point(string Method, string Document, int Line, int Column, int Offset);

    private static List<Point> ReadSequencePoints(AotAssembly written)
    {
        Assert.That(written.Symbols, Is.Not.Null);
        using var pe = new PEReader(new MemoryStream(written.Assembly));
        var metadata = pe.GetMetadataReader();
        using var provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(written.Symbols!));
        var pdb = provider.GetMetadataReader();

        // The PE names the PDB in its debug directory, as a debugger finds it.
        Assert.That(pe.ReadDebugDirectory().Any(e => e.Type == DebugDirectoryEntryType.CodeView), Is.True);

        var points = new List<Point>();
        foreach (var handle in metadata.MethodDefinitions)
        {
            string name = metadata.GetString(metadata.GetMethodDefinition(handle).Name);
            var debug = pdb.GetMethodDebugInformation(handle.ToDebugInformationHandle());
            if (debug.SequencePointsBlob.IsNil)
                continue;
            foreach (var point in debug.GetSequencePoints())
            {
                string document = pdb.GetString(pdb.GetDocument(point.Document).Name);
                points.Add(new Point(name, document, point.StartLine, point.StartColumn, point.Offset));
            }
        }

        return points;
    }
}
