namespace Bpf.Verification;

/// <summary>
/// Alignment, as Linux's <c>check_ptr_alignment</c> requires it on architectures with efficient
/// unaligned access (x86-64, arm64): stack accesses are always aligned to their size (the spill
/// tracking depends on it), atomic operations always (hardware requires it), context fields by their
/// own rules (<see cref="ContextAccessRules"/>); the rest only with
/// <see cref="VerifierOptions.StrictAlignment"/> (<c>BPF_F_STRICT_ALIGNMENT</c>). Single bytes are
/// always aligned.
/// </summary>
public sealed partial class ProgramVerifier
{
    /// <summary>
    /// Linux's NET_IP_ALIGN under strict alignment: packet data is taken to start 2 bytes past an
    /// aligned address, so that the IP header after a 14-byte Ethernet header is aligned.
    /// </summary>
    private const int NetIpAlign = 2;

    /// <summary>
    /// Rejects an access of <paramref name="size"/> bytes at <paramref name="offset"/> from
    /// <paramref name="pointer"/> whose address may not be a multiple of the size where the region
    /// requires it; <paramref name="atomic"/> accesses (read-modify-write, load-acquire,
    /// store-release, fixed-size helper outputs) must always be aligned.
    /// </summary>
    private void CheckAlignment(int pc, int register, RegisterState pointer, long offset, int size, bool atomic)
    {
        if (size <= 1)
            return;
        bool strict = atomic || _options.StrictAlignment;
        long start = pointer.Offset + offset;
        string region;
        switch (pointer.Kind)
        {
            case RegisterKind.Packet or RegisterKind.PacketMeta:
                region = "packet";
                start += NetIpAlign;
                break;
            case RegisterKind.Stack:
                region = "stack";
                strict = true;
                break;
            case RegisterKind.MapValue:
                region = "map value";
                break;
            case RegisterKind.Context:
                region = "context";
                break;
            case RegisterKind.Arena:
                return; // Linux never checks arena accesses' alignment
            default:
                region = "memory";
                break;
        }

        if (!strict)
            return;
        // The address is aligned when every value the variable part may take, plus the fixed
        // offset, has the low bits clear (tnum_is_aligned).
        var address = pointer.Value.Bits + Tnum.Constant((ulong)start);
        if (((address.Value | address.Mask) & (ulong)(size - 1)) == 0)
            return;
        string where = pointer.Value.IsConstant
            ? $"offset {(long)address.Value}{(region == "packet" ? $" (counting the {NetIpAlign} bytes of NET_IP_ALIGN)" : "")}"
            : $"a variable offset ({pointer.Value.Bits}) + {start}";
        string why = region == "stack" ? "stack accesses must be aligned to their size"
            : atomic ? "atomic operations must be aligned to their size"
            : "strict alignment is required";
        throw Reject(DiagnosticCode.Misaligned, pc, $"misaligned {region} access of {size} bytes at {where} through r{register}: {why}",
            Describe(register, pointer));
    }
}
