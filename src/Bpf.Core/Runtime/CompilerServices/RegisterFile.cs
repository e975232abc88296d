using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// The registers of one function, in memory: compiled code splits a function too large for one
/// optimized method into region methods that hand the registers to each other through this.
/// Inside a method the registers are always locals.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[StructLayout(LayoutKind.Sequential)]
public struct RegisterFile
{
#pragma warning disable CS1591 // The fields are the registers r0-r10; their names say so.
    public ulong R0;
    public ulong R1;
    public ulong R2;
    public ulong R3;
    public ulong R4;
    public ulong R5;
    public ulong R6;
    public ulong R7;
    public ulong R8;
    public ulong R9;
    public ulong R10;
#pragma warning restore CS1591
}
