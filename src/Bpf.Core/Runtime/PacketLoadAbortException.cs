namespace Bpf.Runtime;

/// <summary>
/// Thrown by a legacy packet load outside the packet: Linux ends the program with r0 = 0 then,
/// from any call depth, so the engines unwind to the entry and return 0.
/// </summary>
internal sealed class PacketLoadAbortException : Exception
{
    public PacketLoadAbortException() : base("legacy packet load outside the packet")
    {
    }
}
