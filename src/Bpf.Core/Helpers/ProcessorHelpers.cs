using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>Where the program runs: its CPU (the run's CPU slot) and NUMA node.</summary>
public static class ProcessorHelpers
{
    /// <summary>
    /// <c>bpf_get_smp_processor_id</c> (helper 8): the run's CPU slot (<see cref="Invocation.CpuSlot"/>),
    /// the index per-CPU maps use, held by this run alone while it lasts.
    /// </summary>
    public static ulong GetSmpProcessorId(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        (uint)invocation.CpuSlot;

    /// <summary><c>bpf_get_numa_node_id</c> (helper 42): 0, the one node the runtime knows of.</summary>
    public static ulong GetNumaNodeId(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) => 0;
}
