using Bpf.Helpers;
using Bpf.Interpretation;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Jit;

/// <summary>
/// A lookup in an array map the JIT knows at compile time is a bounds check and an add, inline,
/// and agrees with the helper the interpreter calls.
/// </summary>
public sealed class InlineMapOperationTests
{
    private const string CountHits = """
        ldxw %r6, [%r1+0]
        stxw [%r10-4], %r6
        lddw %r1, map_idx(0)
        mov %r2, %r10
        add %r2, -4
        call 1
        jeq %r0, 0, miss
        ldxdw %r1, [%r0+0]
        add %r1, 1
        stxdw [%r0+0], %r1
        mov %r0, %r1
        exit
        miss:
        mov %r0, 0
        exit
        """;

    private static ArrayMap Counters() =>
        new(new BpfMapDefinition { Name = "counters", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });

    // The interpreter calls helper 1; until the helper library has it, register the same semantics here.
    private static readonly ExecutionOptions s_options = ExecutionOptions.Default with
    {
        Helpers = HelperRegistry.CreateDefault().Register(LinuxHelper.MapLookupElem, (map, key, _, _, _, inv) =>
            (ulong)(BpfMap.FromHandle(map)?.Lookup(inv.HelperRead(key, 4), inv) ?? 0)),
    };

    [TestCase(true)]
    [TestCase(false)]
    public void ArrayLookupIsInlineAndCountsLikeTheHelper(bool isChecked)
    {
        using var map = Counters();
        var image = new ProgramImage(Assembler.Assemble(CountHits), [map]);
        var options = s_options with { Safety = isChecked ? ProgramSafety.Checked : ProgramSafety.Trusted };
        var jit = JitEngine.Instance.Prepare(image, options);
        var interpreter = InterpreterEngine.Instance.Prepare(image, options);

        Assert.That(JitCompiler.DumpIL(image, options), Does.Contain("MapOperations::ArrayLookup").And.Not.Contain("HelperFunction::Invoke"));
        foreach (uint index in new uint[] { 2, 2, 3, 9, 2 })
        {
            ulong fromJit = jit.Run(BitConverter.GetBytes(index));
            ulong fromInterpreter = interpreter.Run(BitConverter.GetBytes(index));
            Assert.That(fromJit, Is.EqualTo(index < 4 ? fromInterpreter - 1 : 0), $"index {index}");
        }

        Assert.That(map.AsSpanOfCounters(), Is.EqualTo(new ulong[] { 0, 0, 6, 2 }), "each engine counted every hit once");
    }

    [Test]
    public void CheckedInlineLookupStopsAWildKeyPointer()
    {
        using var map = Counters();
        var image = new ProgramImage(Assembler.Assemble("lddw %r1, map_idx(0)\nmov %r2, 16\ncall 1\nexit"), [map]);
        var error = Assert.Throws<BpfRuntimeException>(() => JitEngine.Instance.Prepare(image, s_options).Run(Span<byte>.Empty));
        Assert.That(error!.InstructionIndex, Is.EqualTo(3));
    }

    [Test]
    public void LookupAfterAJoinIsNotInlined()
    {
        // r1 may hold either map at the call, so the JIT cannot know which: it calls the helper.
        using var a = Counters();
        using var b = Counters();
        var image = new ProgramImage(Assembler.Assemble("""
            lddw %r1, map_idx(0)
            jeq %r2, 0, +2
            lddw %r1, map_idx(1)
            mov %r2, %r10
            add %r2, -4
            stw [%r10-4], 0
            call 1
            mov %r0, 0
            exit
            """), [a, b]);
        Assert.That(JitCompiler.DumpIL(image, s_options), Does.Not.Contain("MapOperations::ArrayLookup"));
    }
}

internal static class CounterViews
{
    public static ulong[] AsSpanOfCounters(this ArrayMap map) =>
        Enumerable.Range(0, map.MaxEntries).Select(i => BitConverter.ToUInt64(map.ValueAt(i))).ToArray();
}
