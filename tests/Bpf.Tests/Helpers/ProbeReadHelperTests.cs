using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// The probe helpers (4, 112, 113 and the string forms 45, 114, 115) on every engine: they copy
/// what the host declared and the program's own memory, and answer anything else with
/// <c>-EFAULT</c> and a zeroed destination, as Linux documents for a faulting probe.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ProbeReadHelperTests(string engine)
{
    private static readonly int[] CopyHelpers = [4, 112, 113];
    private static readonly int[] StringHelpers = [45, 114, 115];

    // Program memory: the destination at 0 (32 bytes, filled with 0xAA), the source address at 32,
    // and the program's own data at 64.
    private static byte[] Memory(ulong source)
    {
        var memory = new byte[128];
        memory.AsSpan(0, 32).Fill(0xAA);
        BitConverter.TryWriteBytes(memory.AsSpan(32), source);
        return memory;
    }

    /// <summary>helper(dst = memory, size, src = the address at memory+32).</summary>
    private static string Probe(int helper, int size) => $"""
        ldxdw %r3, [%r1+32]
        mov %r2, {size}
        call {helper}
        exit
        """;

    [TestCaseSource(nameof(CopyHelpers))]
    public void CopiesMemoryTheHostDeclared(int helper)
    {
        using var host = new HostMemory([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var memory = Memory((ulong)host.Address + 2);
        ulong result = Run(engine, Probe(helper, 6), memory, Checked with { ProbeRegions = [host.Region] });
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(memory[..8], Is.EqualTo(new byte[] { 3, 4, 5, 6, 7, 8, 0xAA, 0xAA }));
        });
    }

    [TestCaseSource(nameof(CopyHelpers))]
    public void MemoryTheHostDidNotDeclareFaultsAndZeroesTheDestination(int helper)
    {
        // Real, readable memory: the probe must refuse it because nobody declared it.
        using var secret = new HostMemory([0x5E, 0xC2, 0xE7, 0x01, 0x02, 0x03, 0x04, 0x05]);
        foreach (var options in new[] { Checked, Unchecked })
        {
            var memory = Memory((ulong)secret.Address);
            ulong result = Run(engine, Probe(helper, 8), memory, options);
            Assert.Multiple(() =>
            {
                Assert.That(result, Is.EqualTo(Error(Errno.EFAULT)), options.Checked ? "checked" : "unchecked");
                Assert.That(memory[..8], Is.All.Zero);
                Assert.That(memory[8..32], Is.All.EqualTo(0xAA), "only size bytes are cleared");
            });
        }
    }

    [TestCase(0UL)]
    [TestCase(0xFFFF_FFFF_FFFF_FFF8UL)]
    public void WildPointersFault(ulong source)
    {
        foreach (var options in new[] { Checked, Unchecked })
        {
            var memory = Memory(source);
            Assert.Multiple(() =>
            {
                Assert.That(Run(engine, Probe(113, 16), memory, options), Is.EqualTo(Error(Errno.EFAULT)));
                Assert.That(memory[..16], Is.All.Zero);
            });
        }
    }

    [Test]
    public void AReadRunningPastTheDeclaredRegionFaults()
    {
        using var host = new HostMemory(16);
        var memory = Memory((ulong)host.Address + 12);
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Probe(4, 4), memory, Checked with { ProbeRegions = [host.Region] }), Is.Zero, "the last 4 bytes");
            Assert.That(Run(engine, Probe(4, 5), memory, Checked with { ProbeRegions = [host.Region] }), Is.EqualTo(Error(Errno.EFAULT)), "one byte too many");
        });
    }

    [Test]
    public void ReadsTheProgramsOwnMemory()
    {
        var memory = Memory(0);
        memory.AsSpan(64, 8).Fill(0x77);
        ulong result = Run(engine, """
            mov %r3, %r1
            add %r3, 64
            mov %r2, 8
            call 113
            exit
            """, memory);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(memory[..8], Is.All.EqualTo(0x77));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ReadsTheProgramsStack(bool isChecked)
    {
        var memory = Memory(0);
        ulong result = Run(engine, """
            lddw %r2, 0x1122334455667788
            stxdw [%r10-16], %r2
            mov %r3, %r10
            add %r3, -16
            mov %r2, 8
            call 4
            exit
            """, memory, isChecked ? Checked : Unchecked);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(BitConverter.ToUInt64(memory, 0), Is.EqualTo(0x1122334455667788UL));
        });
    }

    [Test]
    public void ZeroBytesIsNothingToDo()
    {
        var memory = Memory(0);
        Assert.Multiple(() =>
        {
            Assert.That(Run(engine, Probe(113, 0), memory), Is.Zero);
            Assert.That(memory[..32], Is.All.EqualTo(0xAA));
        });
    }

    [Test]
    public void ADestinationOutsideProgramMemoryStopsTheProgramInCheckedMode()
    {
        using var host = new HostMemory(16);
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            mov %r3, %r1
            lddw %r1, 0x1000
            mov %r2, 8
            call 113
            exit
            """, Memory(0), Checked with { ProbeRegions = [host.Region] }));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }

    [Test]
    public void TheDeclaredRegionsAreReadOnlyForTheProgramItself()
    {
        using var host = new HostMemory(16);
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "ldxdw %r1, [%r1+32]\nldxdw %r0, [%r1+0]\nexit",
            Memory((ulong)host.Address), Checked with { ProbeRegions = [host.Region] }));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds), "probe regions are for the probe helpers, not for loads");
    }

    private (ulong Result, byte[] Destination) ProbeString(int helper, string text, int size, bool declareAll = true)
    {
        using var host = new HostMemory(System.Text.Encoding.ASCII.GetBytes(text));
        var memory = Memory((ulong)host.Address);
        var region = declareAll ? host.Region : host.Region with { Length = host.Length - 1 };
        ulong result = Run(engine, Probe(helper, size), memory, Checked with { ProbeRegions = [region] });
        return (result, memory[..32]);
    }

    private static byte[] Expected(string text) => [.. System.Text.Encoding.ASCII.GetBytes(text), .. Enumerable.Repeat((byte)0xAA, 32 - text.Length)];

    [TestCaseSource(nameof(StringHelpers))]
    public void StringsAreCopiedWithTheirNulAndTheLengthIncludesIt(int helper)
    {
        var (result, destination) = ProbeString(helper, "hello\0world", 16);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(6UL));
            Assert.That(destination, Is.EqualTo(Expected("hello\0")), "the rest of the destination is left alone");
        });
    }

    [TestCaseSource(nameof(StringHelpers))]
    public void LongStringsAreCutToSizeMinusOneAndTheNul(int helper)
    {
        var (result, destination) = ProbeString(helper, "hello world\0", 6);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(6UL), "the size, as Linux returns for a string that was cut");
            Assert.That(destination, Is.EqualTo(Expected("hello\0")));
        });
    }

    [Test]
    public void SizeOneGivesAnEmptyString()
    {
        var (result, destination) = ProbeString(45, "abc\0", 1);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(1UL));
            Assert.That(destination, Is.EqualTo(Expected("\0")));
        });
    }

    [Test]
    public void SizeZeroReadsNothing()
    {
        var (result, destination) = ProbeString(45, "abc\0", 0);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(destination, Is.All.EqualTo(0xAA));
        });
    }

    [Test]
    public void AStringFillingItsRegionIsReadUpToTheSize()
    {
        // Linux reads `size` bytes and puts the NUL over the last: all 4 bytes are in the region.
        var (result, destination) = ProbeString(115, "abcd", 4);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(4UL));
            Assert.That(destination, Is.EqualTo(Expected("abc\0")));
        });
    }

    [TestCaseSource(nameof(StringHelpers))]
    public void AStringRunningOutOfItsRegionFaultsAndZeroesTheDestination(int helper)
    {
        var (result, destination) = ProbeString(helper, "abcd", 8);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(Error(Errno.EFAULT)), "the fifth byte is not readable");
            Assert.That(destination, Is.EqualTo(Expected("\0\0\0\0\0\0\0\0")), "all size bytes are zeroed");
        });
    }

    [Test]
    public void AStringWhoseNulIsNotDeclaredFaults()
    {
        var (result, _) = ProbeString(45, "abc\0", 8, declareAll: false);
        Assert.That(result, Is.EqualTo(Error(Errno.EFAULT)));
    }

    [Test]
    public void StringOfAWildPointerFaultsInEitherMode()
    {
        foreach (var options in new[] { Checked, Unchecked })
        {
            var memory = Memory(0x1000);
            Assert.Multiple(() =>
            {
                Assert.That(Run(engine, Probe(45, 16), memory, options), Is.EqualTo(Error(Errno.EFAULT)));
                Assert.That(memory[..16], Is.All.Zero);
                Assert.That(memory[16..32], Is.All.EqualTo(0xAA));
            });
        }
    }
}
