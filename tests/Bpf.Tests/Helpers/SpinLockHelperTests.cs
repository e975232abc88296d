using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary>
/// <c>bpf_spin_lock</c> and <c>bpf_spin_unlock</c> on every engine: a real lock across threads, and
/// a clean stop instead of a hang for the misuses Linux's verifier would have rejected.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class SpinLockHelperTests(string engine)
{
    private const int Increments = 20000;

    // A map value of struct { struct bpf_spin_lock lock; u32 pad; u64 counter; }.
    private static ArrayMap Value() =>
        new(new BpfMapDefinition { Name = "locked", Type = BpfMapType.Array, KeySize = 4, ValueSize = 16, MaxEntries = 1 });

    /// <summary>
    /// Increments the counter, a plain load and store some instructions apart (a window for the other
    /// thread), under the lock, <see cref="Increments"/> times.
    /// </summary>
    private static readonly string IncrementUnderLock = $"""
        lddw %r6, map_value(0+0)
        mov %r7, {Increments}
        next:
        mov %r1, %r6
        call 93
        ldxdw %r8, [%r6+8]
        mov %r9, %r8
        mul %r9, 3
        add %r9, 7
        sub %r9, 7
        div %r9, 3
        mul %r9, 5
        div %r9, 5
        add %r9, 1
        stxdw [%r6+8], %r9
        mov %r1, %r6
        call 94
        sub %r7, 1
        jne %r7, 0, next
        mov %r0, 0
        exit
        """;

    [TestCase(true)]
    [TestCase(false)]
    public void TwoThreadsLoseNoUpdate(bool isChecked)
    {
        using var map = Value();
        var image = new ProgramImage(Bpf.Isa.Assembler.Assemble(IncrementUnderLock), [map]);
        var executable = Engines.Get(engine).Prepare(image, isChecked ? Checked : Unchecked);
        const int runs = 25;
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < runs; i++)
                executable.Run([]);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt64(map.ValueAt(0)[8..]), Is.EqualTo(2UL * runs * Increments));
            Assert.That(BitConverter.ToUInt32(map.ValueAt(0)), Is.Zero, "the lock is free at the end");
        });
    }

    [Test]
    public void LockingTwiceStopsTheProgramInsteadOfDeadlocking()
    {
        using var map = Value();
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, """
            lddw %r6, map_value(0+0)
            mov %r1, %r6
            call 93
            mov %r1, %r6
            call 93
            exit
            """, maps: [map]));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.SpinLock));
            Assert.That(error.InstructionIndex, Is.EqualTo(5));
        });
    }

    [Test]
    public void ALockLeftHeldStopsTheWaiterAfterTheTimeout()
    {
        using var map = Value();
        BitConverter.TryWriteBytes(map.ValueAt(0), 0xDEADu); // held by nobody who will ever unlock it
        var options = Checked with { SpinLockTimeout = TimeSpan.FromMilliseconds(50) };
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "lddw %r1, map_value(0+0)\ncall 93\nexit", options: options, maps: [map]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.SpinLock));
    }

    [Test]
    public void AWaiterGetsTheLockWhenItIsReleased()
    {
        using var map = Value();
        BitConverter.TryWriteBytes(map.ValueAt(0), 0xDEADu);
        var release = Task.Run(async () =>
        {
            await Task.Delay(50);
            BitConverter.TryWriteBytes(map.ValueAt(0), 0u);
        });
        ulong result = Run(engine, """
            lddw %r6, map_value(0+0)
            mov %r1, %r6
            call 93
            stdw [%r6+8], 7
            mov %r1, %r6
            call 94
            mov %r0, 1
            exit
            """, maps: [map]);
        release.Wait();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(1UL));
            Assert.That(BitConverter.ToUInt64(map.ValueAt(0)[8..]), Is.EqualTo(7UL));
        });
    }

    [Test]
    public void UnlockingALockTheRunDoesNotHoldStopsTheProgramInCheckedMode()
    {
        using var map = Value();
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "lddw %r1, map_value(0+0)\ncall 94\nexit", maps: [map]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.SpinLock));
    }

    [Test]
    public void UnlockWithoutCheckedModeReleasesTheLock()
    {
        using var map = Value();
        BitConverter.TryWriteBytes(map.ValueAt(0), 0xDEADu);
        Run(engine, "lddw %r1, map_value(0+0)\ncall 94\nmov %r0, 0\nexit", options: Unchecked, maps: [map]);
        Assert.That(BitConverter.ToUInt32(map.ValueAt(0)), Is.Zero);
    }

    [Test]
    public void AMisalignedLockStopsTheProgram()
    {
        using var map = Value();
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "lddw %r1, map_value(0+2)\ncall 93\nexit", maps: [map]));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.Misaligned));
    }

    [Test]
    public void ALockOutsideProgramMemoryStopsTheProgram()
    {
        var error = Assert.Throws<BpfRuntimeException>(() => Run(engine, "lddw %r1, 0x1000\ncall 93\nexit"));
        Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
    }
}
