namespace Bpf.Isa;

/// <summary>The register file and calling convention (RFC 9669, section 2.4).</summary>
public static class Registers
{
    /// <summary>The number of registers, r0 to r10.</summary>
    public const int Count = 11;

    /// <summary>r0: the return value of calls and of the program.</summary>
    public const int ReturnValue = 0;

    /// <summary>r1: the first argument; at program entry, the context (or the input memory).</summary>
    public const int FirstArgument = 1;

    /// <summary>The number of argument registers, r1 to r5.</summary>
    public const int ArgumentCount = 5;

    /// <summary>r6: the first callee-saved register (r6 to r9 survive calls).</summary>
    public const int FirstCalleeSaved = 6;

    /// <summary>r9: the last callee-saved register.</summary>
    public const int LastCalleeSaved = 9;

    /// <summary>r10: the read-only frame pointer, the end of the current function's stack frame.</summary>
    public const int FramePointer = 10;

    /// <summary>The size of one function's stack frame in bytes.</summary>
    public const int StackFrameSize = 512;

    /// <summary>The most frames that may be live at once (the kernel's <c>MAX_CALL_FRAMES</c>).</summary>
    public const int MaxCallDepth = 8;
}
