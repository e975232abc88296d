using Bpf.Maps;

namespace Bpf.Tests.Maps;

/// <summary>The arena from the host: creation rules, the address space, page allocation and the host's views.</summary>
public sealed class ArenaMapTests
{
    private const ulong FourGiB = 1UL << 32;

    internal static ArenaMap Arena(int pages = 16, ulong mapExtra = 0) =>
        new(new BpfMapDefinition { Name = "arena", Type = BpfMapType.Arena, MaxEntries = pages, Flags = BpfMapFlags.Mmapable, MapExtra = mapExtra });

    [Test]
    public void TheBaseIsAlignedToFourGiBAndIsTheFirstPage()
    {
        using var arena = Arena();
        Assert.Multiple(() =>
        {
            Assert.That(arena.ArenaBase, Is.Not.Zero);
            Assert.That(arena.ArenaBase % FourGiB, Is.Zero);
            Assert.That(arena.UserStart, Is.EqualTo(arena.ArenaBase));
            Assert.That(arena.Size, Is.EqualTo(16L * 4096));
        });
    }

    [Test]
    public void ArenasDoNotShareAddressSpace()
    {
        using var first = Arena();
        using var second = Arena();
        Assert.That(second.ArenaBase, Is.Not.EqualTo(first.ArenaBase));
    }

    [Test]
    public void TheFactoryMakesArenas()
    {
        using var map = MapFactory.Create(new BpfMapDefinition { Name = "arena", Type = BpfMapType.Arena, MaxEntries = 4, Flags = BpfMapFlags.Mmapable });
        Assert.That(map, Is.InstanceOf<ArenaMap>());
    }

    [Test]
    public void TheKernelsCreationRulesHold()
    {
        // Each of these is EINVAL, E2BIG or ERANGE on Linux 6.18.
        static void Create(int pages, BpfMapFlags flags, int keySize = 0, ulong mapExtra = 0) =>
            new ArenaMap(new BpfMapDefinition { Name = "a", Type = BpfMapType.Arena, KeySize = keySize, MaxEntries = pages, Flags = flags, MapExtra = mapExtra }).Dispose();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.None), "BPF_F_MMAPABLE is required");
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.Mmapable, keySize: 4));
            Assert.Throws<ArgumentException>(() => Create(0, BpfMapFlags.Mmapable));
            Assert.Throws<ArgumentException>(() => Create(ArenaMap.MaxPages + 1, BpfMapFlags.Mmapable), "more than 4 GiB");
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.Mmapable | (BpfMapFlags)(1U << 16)));
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.Mmapable | BpfMapFlags.ReadOnlyProgram));
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.Mmapable, mapExtra: 0x1_0000_0100), "not page-aligned");
            Assert.Throws<ArgumentException>(() => Create(10, BpfMapFlags.Mmapable, mapExtra: 0x1_ffff_f000), "crosses 4 GiB");
        });
        Assert.DoesNotThrow(() => Create(ArenaMap.MaxPages, BpfMapFlags.Mmapable));
        Assert.DoesNotThrow(() => Create(10, BpfMapFlags.Mmapable | (BpfMapFlags)(1U << 17) | (BpfMapFlags)(1U << 18)), "BPF_F_SEGV_ON_FAULT, BPF_F_NO_USER_CONV");
    }

    [Test]
    public void MapExtraPlacesTheArena()
    {
        ulong free;
        using (var probe = Arena())
            free = probe.ArenaBase; // just released: free address space
        using var arena = Arena(4, free + 0x3000);
        Assert.Multiple(() =>
        {
            Assert.That(arena.ArenaBase, Is.EqualTo(free));
            Assert.That(arena.UserStart, Is.EqualTo(free + 0x3000));
            Assert.That(arena.AllocatePages(1), Is.EqualTo(free + 0x3000));
        });
    }

    [Test]
    public void PagesAreAllocatedLowestFirstAndReusedAfterFree()
    {
        using var arena = Arena(8);
        ulong a = arena.AllocatePages(2);
        ulong b = arena.AllocatePages(1);
        ulong c = arena.AllocatePages(3);
        Assert.Multiple(() =>
        {
            Assert.That(a, Is.EqualTo(arena.UserStart));
            Assert.That(b, Is.EqualTo(arena.UserStart + 2 * 4096));
            Assert.That(c, Is.EqualTo(arena.UserStart + 3 * 4096));
            Assert.That(arena.AllocatedPages, Is.EqualTo(6));
        });
        arena.FreePages(a, 2);
        Assert.That(arena.AllocatedPages, Is.EqualTo(4));
        Assert.Throws<BpfMapException>(() => arena.AllocatePages(3), "two runs of two free pages, no run of three");
        Assert.Multiple(() =>
        {
            Assert.That(arena.AllocatePages(1), Is.EqualTo(arena.UserStart), "the freed pages are the lowest free ones");
            Assert.That(arena.AllocatePages(2), Is.EqualTo(arena.UserStart + 6 * 4096), "the first run long enough");
            Assert.That(arena.AllocatePages(1), Is.EqualTo(arena.UserStart + 4096));
            Assert.That(arena.AllocatedPages, Is.EqualTo(8));
        });
    }

    [Test]
    public void AFullArenaRefuses()
    {
        using var arena = Arena(4);
        arena.AllocatePages(3);
        var error = Assert.Throws<BpfMapException>(() => arena.AllocatePages(2));
        Assert.That(error!.Errno, Is.EqualTo(12), "ENOMEM");
        Assert.That(arena.AllocatePages(1), Is.EqualTo(arena.UserStart + 3 * 4096));
        Assert.Throws<BpfMapException>(() => arena.AllocatePages(1));
    }

    [Test]
    public void PagesCanBeAskedForByAddress()
    {
        using var arena = Arena(8);
        ulong at = arena.UserStart + 5 * 4096;
        Assert.That(arena.AllocatePages(2, at), Is.EqualTo(at));
        Assert.Multiple(() =>
        {
            Assert.Throws<BpfMapException>(() => arena.AllocatePages(1, at + 4096), "taken");
            Assert.Throws<BpfMapException>(() => arena.AllocatePages(2, arena.UserStart + 7 * 4096), "past the end");
            Assert.Throws<BpfMapException>(() => arena.AllocatePages(1, arena.UserStart + 100), "not page-aligned");
            Assert.That(arena.TryAllocatePages((uint)(at - 4096), 1), Is.EqualTo(at - 4096), "only the lower 32 bits of the address count");
        });
    }

    [Test]
    public void PagesComeBackZeroed()
    {
        using var arena = Arena(2);
        ulong page = arena.AllocatePages(1);
        arena.AsSpan(0, 4096).Fill(0xAB);
        arena.FreePages(page, 1);
        Assert.That(arena.AllocatePages(1), Is.EqualTo(page));
        Assert.That(arena.AsSpan(0, 4096).ToArray(), Is.All.Zero);
    }

    [Test]
    public void RegionsAreTheRunsOfAllocatedPages()
    {
        using var arena = Arena(8);
        ulong start = arena.AllocatePages(4);
        arena.FreePages(start + 4096, 2);
        Assert.That(arena.ValueRegions.Select(r => ((ulong)r.Start - arena.UserStart, (long)r.Length, r.Writable)), Is.EqualTo(new[]
        {
            (0UL, 4096L, true),
            (3UL * 4096, 4096L, true),
        }));
        arena.AllocatePages(1, start + 4096);
        Assert.That(arena.ValueRegions, Has.Count.EqualTo(2));
        arena.AllocatePages(1, start + 2 * 4096);
        Assert.That(arena.ValueRegions.Select(r => (long)r.Length), Is.EqualTo(new[] { 4L * 4096 }), "adjacent runs merge");
    }

    [Test]
    public void FreeingLeavesPagesOutsideTheRangeOrTheArenaAlone()
    {
        using var arena = Arena(4);
        arena.AllocatePages(4);
        var (start, length) = arena.FreePages(arena.UserStart + 3 * 4096 + 17, 10);
        Assert.Multiple(() =>
        {
            Assert.That((ulong)start, Is.EqualTo(arena.UserStart + 3 * 4096), "from the page holding the address");
            Assert.That((long)length, Is.EqualTo(4096L), "clipped to the arena");
            Assert.That(arena.AllocatedPages, Is.EqualTo(3));
            Assert.That(arena.IsAllocated(arena.UserStart + 3 * 4096), Is.False);
            Assert.That(arena.IsAllocated(arena.UserStart + 2 * 4096), Is.True);
        });
    }

    [Test]
    public void TheHostSeesOnlyAllocatedPages()
    {
        using var arena = Arena(4);
        arena.AllocatePages(1);
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => arena.AsSpan(4096, 8), "page 1 is not allocated");
            Assert.Throws<ArgumentException>(() => arena.AsSpan(4090, 8), "the span runs into page 1");
            Assert.Throws<ArgumentOutOfRangeException>(() => arena.AsSpan(4 * 4096, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => arena.AsSpan(-1, 1));
        });
        new byte[] { 1, 2, 3, 4 }.CopyTo(arena.AsSpan(100, 4));
        var memory = arena.AsMemory(100, 4);
        Assert.That(memory.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void ADisposedArenaRefusesTheHost()
    {
        var arena = Arena(4);
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => arena.AllocatePages(1));
        Assert.Throws<ObjectDisposedException>(() => arena.AsSpan(0, 1));
    }
}
