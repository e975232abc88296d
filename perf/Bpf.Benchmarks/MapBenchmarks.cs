using BenchmarkDotNet.Attributes;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Benchmarks;

/// <summary>
/// Map operations from a JIT-compiled program (unchecked mode, as verified code runs), per
/// operation: each program loops <see cref="Operations"/> times over keys 0..99, calling the helper
/// with a key on its stack. The baseline is the same loop with the helper call replaced by a move,
/// so the difference is the operation itself. Hash maps hold 4-byte keys and 8-byte values, all
/// 100 keys present.
/// </summary>
[MemoryDiagnoser]
public class MapBenchmarks
{
    /// <summary>Operations per program run (BenchmarkDotNet divides by it).</summary>
    public const int Operations = 100;

    private readonly byte[] _memory = [];
    private BpfMap _array = null!;
    private BpfMap _hash = null!;
    private BpfExecutable _loop = null!;
    private BpfExecutable _arrayLookup = null!;
    private BpfExecutable _hashLookup = null!;
    private BpfExecutable _hashUpdate = null!;

    /// <summary>Creates the maps and compiles the programs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _array = MapFactory.Create(new BpfMapDefinition { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 128 });
        _hash = MapFactory.Create(new BpfMapDefinition { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 1024 });
        for (uint key = 0; key < Operations; key++)
            _hash.Update(BitConverter.GetBytes(key), BitConverter.GetBytes((ulong)key * 3));

        var options = ExecutionOptions.Default with { Safety = ProgramSafety.Trusted };
        _loop = Prepare(Loop("mov %r0, %r10"), _array, options);
        _arrayLookup = Prepare(Loop("call 1"), _array, options);
        _hashLookup = Prepare(Loop("call 1"), _hash, options);
        _hashUpdate = Prepare(Loop("mov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2"), _hash, options);
    }

    /// <summary>Frees the maps.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _array.Dispose();
        _hash.Dispose();
    }

    /// <summary>The loop without a map operation.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public ulong LoopOnly() => _loop.Run(_memory);

    /// <summary><c>bpf_map_lookup_elem</c> on an array (the JIT emits it inline).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong ArrayLookup() => _arrayLookup.Run(_memory);

    /// <summary><c>bpf_map_lookup_elem</c> on a hash map.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong HashLookup() => _hashLookup.Run(_memory);

    /// <summary><c>bpf_map_update_elem</c> (BPF_ANY) of an existing key of a hash map.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong HashUpdate() => _hashUpdate.Run(_memory);

    private static BpfExecutable Prepare(string source, BpfMap map, ExecutionOptions options) =>
        JitEngine.Instance.Prepare(new ProgramImage(Assembler.Assemble(source), [map]), options);

    /// <summary>
    /// For keys 0..99: the key at [r10-4], a value at [r10-16], r1 = the map, r2 = the key, then
    /// <paramref name="operation"/>; a non-zero r0 counts.
    /// </summary>
    private static string Loop(string operation) => $"""
        mov %r6, 0
        mov %r7, 0
        stdw [%r10-16], 7
        loop:
        stxw [%r10-4], %r6
        lddw %r1, map_idx(0)
        mov %r2, %r10
        add %r2, -4
        {operation}
        jeq %r0, 0, skip
        add %r7, 1
        skip:
        add %r6, 1
        jlt %r6, {Operations}, loop
        mov %r0, %r7
        exit
        """;
}
