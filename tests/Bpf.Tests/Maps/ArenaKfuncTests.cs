using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>
/// Programs that allocate, use and free arena pages (<c>bpf_arena_alloc_pages</c> is kfunc 0 and
/// <c>bpf_arena_free_pages</c> kfunc 1 of these programs), on every engine; checked mode lets them
/// touch allocated pages only.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ArenaKfuncTests(string engine)
{
    private static readonly KfuncDefinition[] s_kfuncs =
    [
        KfuncRegistry.Default.Find("bpf_arena_alloc_pages")!,
        KfuncRegistry.Default.Find("bpf_arena_free_pages")!,
    ];

    private BpfExecutable Prepare(string source, BpfMap arena, bool isChecked = true) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [arena], s_kfuncs), ExecutionOptions.Default with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted });

    private static byte[] Address(ulong address) => BitConverter.GetBytes(address);

    [Test]
    public void TheKfuncsAreBuiltIn() =>
        Assert.That(s_kfuncs, Has.All.Not.Null);

    [TestCase(true)]
    [TestCase(false)]
    public void AProgramWritesThroughACastArenaPointerAndTheHostReadsIt(bool isChecked)
    {
        using var arena = ArenaMapTests.Arena();
        // Allocate a page, make an arena pointer 8 bytes into it (a 32-bit offset), cast it to a full
        // pointer and store through it.
        ulong result = Prepare("""
            lddw %r1, map_idx(0)
            mov %r2, 0
            mov %r3, 1
            mov %r4, -1
            mov %r5, 0
            call kfunc 0
            jeq %r0, 0, out
            mov %r1, %r0
            add %r1, 8
            addr_space_cast %r1, %r1, 0, 1
            lddw %r2, 0x1122334455667788
            stxdw [%r1+0], %r2
            out:
            exit
            """, arena, isChecked).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(arena.UserStart), "the first page, as a full address");
            Assert.That(BitConverter.ToUInt64(arena.AsSpan(8, 8)), Is.EqualTo(0x1122334455667788UL));
            Assert.That(arena.AllocatedPages, Is.EqualTo(1));
        });
    }

    [Test]
    public void TheHostsWritesAreWhatTheProgramReads()
    {
        using var arena = ArenaMapTests.Arena();
        var program = Prepare("ldxdw %r1, [%r1+0]\nldxdw %r0, [%r1+0]\nexit", arena);
        ulong page = arena.AllocatePages(2); // after the program was prepared
        BitConverter.TryWriteBytes(arena.AsSpan(4096 + 16, 8), 4242UL);
        Assert.That(program.Run(Address(page + 4096 + 16)), Is.EqualTo(4242UL));
    }

    [Test]
    public void CheckedModeStopsAccessesToPagesNeverAllocated()
    {
        using var arena = ArenaMapTests.Arena();
        arena.AllocatePages(1);
        var program = Prepare("ldxdw %r1, [%r1+0]\nldxdw %r0, [%r1+0]\nexit", arena);
        var error = Assert.Throws<BpfRuntimeException>(() => program.Run(Address(arena.UserStart + 4096)));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
            Assert.That(error.InstructionIndex, Is.EqualTo(1));
        });
        Assert.Throws<BpfRuntimeException>(() => program.Run(Address(arena.UserStart + 4090)), "a load that runs into the next page");
    }

    [Test]
    public void FreedPagesAreOutOfBoundsForLaterRuns()
    {
        using var arena = ArenaMapTests.Arena();
        var allocate = Prepare("""
            lddw %r1, map_idx(0)
            mov %r2, 0
            mov %r3, 1
            mov %r4, -1
            mov %r5, 0
            call kfunc 0
            exit
            """, arena);
        var free = Prepare("""
            ldxdw %r2, [%r1+0]
            lddw %r1, map_idx(0)
            mov %r3, 1
            call kfunc 1
            exit
            """, arena);
        var write = Prepare("ldxdw %r1, [%r1+0]\nstdw [%r1+0], 7\nmov %r0, 0\nexit", arena);

        ulong page = allocate.Run([]);
        Assert.That(page, Is.EqualTo(arena.UserStart));
        write.Run(Address(page));
        Assert.That(BitConverter.ToUInt64(arena.AsSpan(0, 8)), Is.EqualTo(7UL));

        free.Run(Address(page));
        var error = Assert.Throws<BpfRuntimeException>(() => write.Run(Address(page)));
        Assert.Multiple(() =>
        {
            Assert.That(error!.InstructionIndex, Is.EqualTo(1));
            Assert.That(arena.IsAllocated(page), Is.False);
            Assert.Throws<ArgumentException>(() => arena.AsSpan(0, 8));
        });
    }

    [Test]
    public void PagesFreedDuringARunAreOutOfBoundsAtOnce()
    {
        using var arena = ArenaMapTests.Arena();
        var error = Assert.Throws<BpfRuntimeException>(() => Prepare("""
            lddw %r1, map_idx(0)
            mov %r2, 0
            mov %r3, 1
            mov %r4, -1
            mov %r5, 0
            call kfunc 0
            mov %r6, %r0
            stdw [%r6+0], 1
            lddw %r1, map_idx(0)
            mov %r2, %r6
            mov %r3, 1
            call kfunc 1
            stdw [%r6+0], 2
            exit
            """, arena).Run([]));
        Assert.That(error!.InstructionIndex, Is.EqualTo(14));
    }

    [Test]
    public void FreeingPagesInsideAnAllocationKeepsTheOthersUsable()
    {
        using var arena = ArenaMapTests.Arena();
        // Allocates 4 pages, frees pages 1 and 2, then writes to the page [r1+0] names (0-3).
        var program = Prepare("""
            ldxdw %r7, [%r1+0]
            lddw %r1, map_idx(0)
            mov %r2, 0
            mov %r3, 4
            mov %r4, -1
            mov %r5, 0
            call kfunc 0
            mov %r6, %r0
            lddw %r1, map_idx(0)
            mov %r2, %r6
            add %r2, 4096
            mov %r3, 2
            call kfunc 1
            lsh %r7, 12
            add %r7, %r6
            stdw [%r7+0], 9
            mov %r0, 0
            exit
            """, arena);
        var trapped = new List<int>();
        for (int page = 0; page < 4; page++)
        {
            try
            {
                program.Run(BitConverter.GetBytes((ulong)page));
            }
            catch (BpfRuntimeException)
            {
                trapped.Add(page);
            }

            arena.FreePages(arena.UserStart, 4);
        }

        Assert.That(trapped, Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void AllocationFailuresReturnZero()
    {
        using var arena = ArenaMapTests.Arena(4);
        // r0 = bpf_arena_alloc_pages(map, [r1+0], [r1+8], -1, [r1+16])
        var allocate = Prepare("""
            mov %r6, %r1
            lddw %r1, map_idx(0)
            ldxdw %r2, [%r6+0]
            ldxdw %r3, [%r6+8]
            mov %r4, -1
            ldxdw %r5, [%r6+16]
            call kfunc 0
            exit
            """, arena);
        ulong Allocating(ulong address, ulong pages, ulong flags) =>
            allocate.Run([.. BitConverter.GetBytes(address), .. BitConverter.GetBytes(pages), .. BitConverter.GetBytes(flags)]);
        Assert.Multiple(() =>
        {
            Assert.That(Allocating(0, 0, 0), Is.Zero, "no pages");
            Assert.That(Allocating(0, 1, 1), Is.Zero, "flags");
            Assert.That(Allocating(0, 5, 0), Is.Zero, "more than the arena");
            Assert.That(Allocating(arena.UserStart + 2 * 4096, 1, 0), Is.EqualTo(arena.UserStart + 2 * 4096), "at an address");
            Assert.That(Allocating(arena.UserStart + 2 * 4096, 1, 0), Is.Zero, "taken");
            Assert.That(Allocating(0, 3, 0), Is.Zero, "no run of 3 free pages");
            Assert.That(Allocating(0, 2, 0), Is.EqualTo(arena.UserStart));
            Assert.That(arena.AllocatedPages, Is.EqualTo(3));
        });
    }

    [Test]
    public void ANumberThatIsNotAnArenaAllocatesNothing()
    {
        using var arena = ArenaMapTests.Arena(4);
        ulong result = Prepare("mov %r1, 77\nmov %r2, 0\nmov %r3, 1\nmov %r4, -1\nmov %r5, 0\ncall kfunc 0\nexit", arena).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Zero);
            Assert.That(arena.AllocatedPages, Is.Zero);
        });
    }
}
