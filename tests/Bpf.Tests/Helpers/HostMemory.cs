using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Tests.Helpers;

/// <summary>Native memory a test owns: what a host declares to probe reads, or deliberately does not.</summary>
internal sealed unsafe class HostMemory : IDisposable
{
    public HostMemory(int length)
    {
        Length = length;
        Address = (nint)NativeMemory.AllocZeroed((nuint)length);
    }

    public HostMemory(byte[] contents)
        : this(contents.Length)
    {
        contents.CopyTo(Span);
    }

    public nint Address { get; }

    public int Length { get; }

    public Span<byte> Span => new((void*)Address, Length);

    /// <summary>The memory as a read-only region, for <see cref="ExecutionOptions.ProbeRegions"/>.</summary>
    public MemoryRegion Region => new(Address, Length, Writable: false);

    public void Dispose() => NativeMemory.Free((void*)Address);
}
