using Bpf.Helpers;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;
using static Bpf.Tests.Helpers.HelperPrograms;

namespace Bpf.Tests.Helpers;

/// <summary><c>bpf_get_smp_processor_id</c>, <c>bpf_get_numa_node_id</c> and <c>bpf_get_prandom_u32</c> on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ProcessorHelperTests(string engine)
{
    private const int RunsCpuSlot = 1200;

    [Test]
    public void ProcessorIdIsTheRunsCpuSlot()
    {
        var helpers = HelperRegistry.CreateDefault().Register(RunsCpuSlot, "test_cpu_slot", (_, _, _, _, _, invocation) => (ulong)invocation.CpuSlot);
        ulong result = Run(engine, $"""
            call 8
            mov %r6, %r0
            call {RunsCpuSlot}
            lsh %r0, 32
            or %r0, %r6
            exit
            """, options: Checked with { Helpers = helpers });
        Assert.Multiple(() =>
        {
            Assert.That(result >> 32, Is.EqualTo(result & 0xFFFF_FFFF));
            Assert.That((int)(result & 0xFFFF_FFFF), Is.InRange(0, CpuSlots.Count - 1));
        });
    }

    [Test]
    public void ConcurrentRunsGetDifferentProcessors()
    {
        // Each run holds its slot while it runs: two runs waiting for each other see two slots.
        using var barrier = new Barrier(2);
        var helpers = HelperRegistry.CreateDefault().Register(RunsCpuSlot, "test_wait", (_, _, _, _, _, _) =>
        {
            barrier.SignalAndWait(TimeSpan.FromSeconds(10));
            return 0;
        });
        var executable = Engines.Prepare(engine, $"call 8\nmov %r6, %r0\ncall {RunsCpuSlot}\nmov %r0, %r6\nexit", Checked with { Helpers = helpers });
        if (CpuSlots.Count < 2)
            Assert.Ignore("needs two CPU slots");
        var runs = new[] { Task.Run(() => executable.Run([])), Task.Run(() => executable.Run([])) };
        Task.WaitAll(runs, TimeSpan.FromSeconds(20));
        Assert.That(runs[0].Result, Is.Not.EqualTo(runs[1].Result));
    }

    [Test]
    public void NumaNodeIsZero()
    {
        Assert.That(Run(engine, "mov %r0, 7\ncall 42\nexit"), Is.Zero);
    }

    [Test]
    public void RandomNumbersAreSpreadOverThirtyTwoBits()
    {
        var memory = new byte[8 * 64];
        Run(engine, """
            mov %r6, %r1
            mov %r7, 64
            next:
            call 7
            stxdw [%r6+0], %r0
            add %r6, 8
            sub %r7, 1
            jne %r7, 0, next
            mov %r0, 0
            exit
            """, memory);
        var values = Enumerable.Range(0, 64).Select(i => BitConverter.ToUInt64(memory, i * 8)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(values, Is.All.LessThanOrEqualTo((ulong)uint.MaxValue), "32 bits, zero-extended");
            Assert.That(values.Distinct().Count(), Is.GreaterThan(60), "64 draws of 32 bits almost never repeat");
            Assert.That(values.Count(v => v >= 0x8000_0000), Is.InRange(8, 56), "the top bit is set about half the time");
        });
    }

    [Test]
    public void RandomNumbersFromManyThreadsStayRandom()
    {
        var executable = Engines.Prepare(engine, "call 7\nexit");
        var results = new ulong[8][];
        Parallel.For(0, 8, t => results[t] = Enumerable.Range(0, 200).Select(_ => executable.Run([])).ToArray());
        var all = results.SelectMany(r => r).ToList();
        Assert.That(all.Distinct().Count(), Is.GreaterThan(all.Count - 5), "no thread repeats another's sequence");
    }
}
