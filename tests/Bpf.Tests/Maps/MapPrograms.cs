using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>
/// Small programs that call the map helpers on map 0 with operands from their input memory, so that
/// tests can drive a map from programs on every engine exactly as from the host.
/// </summary>
/// <remarks>
/// Input layout: the key at offset 0 (up to 16 bytes), the value at 16 (up to 16 bytes), the flags
/// (or the CPU) as a 64-bit number at 32.
/// </remarks>
internal sealed class MapPrograms
{
    /// <summary>The value the lookup programs return when the helper returned a null pointer.</summary>
    public const ulong Miss = 0xDEAD_BEEF_0BAD_F00D;

    /// <summary>A helper (not a Linux number) that returns the run's CPU slot, for per-CPU tests.</summary>
    public const int CpuSlotHelper = 1201;

    private const string Prologue = """
        mov %r6, %r1
        lddw %r1, map_idx(0)
        mov %r2, %r6
        """;

    /// <summary>Helpers with <see cref="CpuSlotHelper"/> added.</summary>
    public static readonly ExecutionOptions Options = ExecutionOptions.Default with
    {
        Helpers = HelperRegistry.CreateDefault().Register(CpuSlotHelper, "test_cpu_slot", (_, _, _, _, _, invocation) => (ulong)invocation.CpuSlot),
    };

    private readonly BpfExecutable _update;
    private readonly BpfExecutable _lookup;
    private readonly BpfExecutable _lookupOnCpu;
    private readonly BpfExecutable _delete;
    private readonly BpfExecutable _slotOfLookup;

    /// <summary>Prepares the programs for <paramref name="map"/> on <paramref name="engine"/>.</summary>
    public MapPrograms(string engine, BpfMap map, ExecutionOptions? options = null)
    {
        options ??= Options;
        BpfExecutable Prepare(string source) =>
            Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), [map]), options);

        _update = Prepare(Prologue + """

            mov %r3, %r6
            add %r3, 16
            ldxdw %r4, [%r6+32]
            call 2
            exit
            """);
        _lookup = Prepare(Prologue + """

            call 1
            jeq %r0, 0, miss
            ldxdw %r0, [%r0+0]
            exit
            miss:
            lddw %r0, 0xdeadbeef0badf00d
            exit
            """);
        _lookupOnCpu = Prepare(Prologue + """

            ldxw %r3, [%r6+32]
            call 195
            jeq %r0, 0, miss
            ldxdw %r0, [%r0+0]
            exit
            miss:
            lddw %r0, 0xdeadbeef0badf00d
            exit
            """);
        _delete = Prepare(Prologue + """

            call 3
            exit
            """);
        // Looks the key up and returns the CPU slot the lookup ran on in the low byte, the value above.
        _slotOfLookup = Prepare(Prologue + $"""

            call 1
            jeq %r0, 0, miss
            ldxdw %r7, [%r0+0]
            call {CpuSlotHelper}
            lsh %r7, 8
            or %r0, %r7
            exit
            miss:
            lddw %r0, 0xdeadbeef0badf00d
            exit
            """);
    }

    /// <summary><c>bpf_map_update_elem(map, &amp;key, &amp;value, flags)</c>: 0 or a negative errno.</summary>
    public long Update(ulong key, ulong value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        (long)_update.Run(Input(key, value, (ulong)flags));

    /// <summary>Like <see cref="Update"/> with a key of any bytes.</summary>
    public long Update(byte[] key, ulong value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        (long)_update.Run(Input(key, value, (ulong)flags));

    /// <summary><c>bpf_map_lookup_elem</c>: the first 8 bytes of the value, or <see cref="Miss"/>.</summary>
    public ulong Lookup(ulong key) => _lookup.Run(Input(key, 0, 0));

    /// <summary>Like <see cref="Lookup(ulong)"/> with a key of any bytes.</summary>
    public ulong Lookup(byte[] key) => _lookup.Run(Input(key, 0, 0));

    /// <summary><c>bpf_map_lookup_percpu_elem(map, &amp;key, cpu)</c>: the first 8 bytes of that slot's value, or <see cref="Miss"/>.</summary>
    public ulong LookupOnCpu(ulong key, uint cpu) => _lookupOnCpu.Run(Input(key, 0, cpu));

    /// <summary><c>bpf_map_delete_elem</c>: 0 or a negative errno.</summary>
    public long Delete(ulong key) => (long)_delete.Run(Input(key, 0, 0));

    /// <summary>Looks the key up; returns (value, slot the program ran on), or null on a miss.</summary>
    public (ulong Value, int Slot)? LookupWithSlot(ulong key)
    {
        ulong result = _slotOfLookup.Run(Input(key, 0, 0));
        return result == Miss ? null : (result >> 8, (int)(result & 0xFF));
    }

    private static byte[] Input(ulong key, ulong value, ulong third) => Input(BitConverter.GetBytes(key), value, third);

    private static byte[] Input(byte[] key, ulong value, ulong third)
    {
        var input = new byte[40];
        key.CopyTo(input, 0);
        BitConverter.TryWriteBytes(input.AsSpan(16), value);
        BitConverter.TryWriteBytes(input.AsSpan(32), third);
        return input;
    }
}
