namespace Bpf.Verification;

/// <summary>How an instruction touches the context.</summary>
public enum ContextAccessKind
{
    /// <summary>A load (<c>ldx</c>).</summary>
    Load,

    /// <summary>A sign-extending load (<c>ldsx</c>); refused on packet pointer fields.</summary>
    SignExtendingLoad,

    /// <summary>A store of a register (<c>stx</c>) or of an immediate (<c>st</c>); Linux 6.18 treats both alike.</summary>
    Store,

    /// <summary>An atomic operation: always refused ("BPF_ATOMIC stores into R1 ctx is not allowed").</summary>
    Atomic,
}
