using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Runtime;
using Bpf.Tests.Samples;

namespace Bpf.Tests.Maps;

/// <summary>
/// samples/bpf/arena.c from its object on every engine, in checked mode and not: the syscall program
/// allocates an arena page on its first run, keeps its address in a global and counts the lengths it
/// is given in it; the host reads the histogram from the same page.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ArenaSampleTests(string engineName)
{
    [TestCase(true)]
    [TestCase(false)]
    public void TheHistogramIsCountedInAnArenaPage(bool isChecked)
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("arena"));
        var arena = (ArenaMap)obj.Map("arena");
        // The verifier accepts the program; its arena accesses keep their run-time checks even when
        // unchecked mode is asked for (an unallocated arena page would fault the process).
        var program = obj.Programs["record_length"].Prepare(Engines.Get(engineName), ExecutionOptions.Default with { Checked = isChecked });
        Assert.That(program.Options.Checked, Is.True, "arena accesses are checked at run time");
        int[] lengths = [60, 64, 130, 60, 3000, 14];
        foreach (int length in lengths)
            Assert.That(SyscallContext.Run(program, BitConverter.GetBytes((uint)length)), Is.Zero);

        var expected = new ulong[32];
        foreach (int length in lengths)
            expected[Math.Min(length / 64, 31)]++;
        var histogram = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(arena.AsSpan(0, 32 * 8)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(obj.Variable("histogram").Get<ulong>(), Is.EqualTo(arena.UserStart), "the global holds the page's address");
            Assert.That(arena.AllocatedPages, Is.EqualTo(1), "allocated once");
            Assert.That(histogram, Is.EqualTo(expected));
        });
    }
}
