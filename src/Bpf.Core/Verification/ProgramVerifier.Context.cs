namespace Bpf.Verification;

/// <summary>
/// Context accesses, by the program type's <see cref="ContextAccessRules"/> (the kernel's
/// <c>is_valid_access</c> callbacks): which fields may be loaded and stored at which sizes, and what
/// a load gives (a number, or a packet pointer for <c>data</c>, <c>data_end</c>, <c>data_meta</c>).
/// </summary>
public sealed partial class ProgramVerifier
{
    private ContextAccessRules? _contextRules;

    /// <summary>
    /// The context rules of the program type; types without a kernel table (and hosts' own
    /// contexts) follow the runtime's layout of the context.
    /// </summary>
    private ContextAccessRules? ContextRules =>
        _contextRules ??= Rules.Context ?? (Context is { } layout ? ContextAccessRules.FromLayout(layout) : null);

    /// <summary>
    /// A load or store of <paramref name="size"/> bytes at <paramref name="offset"/> from the
    /// context pointer. Linux requires the pointer unmodified (<c>check_ptr_off_reg</c>: the
    /// context is rewritten field by field, so only constant offsets in the instruction can be
    /// translated), and the access inside one field, aligned, at a width the field allows.
    /// </summary>
    private RegisterState ContextAccess(int pc, int register, RegisterState pointer, short offset, int size, ContextAccessKind kind, RegisterState? stored)
    {
        if (IsSyscallProgram)
            return SyscallContextAccess(pc, register, pointer, offset, size, kind == ContextAccessKind.Store, stored);
        string Involved() => Describe(register, pointer);
        if (!pointer.Value.IsConstant || pointer.Value.ConstantValue != 0)
            throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"the context is accessed through r{register} with a variable offset ({pointer.Value}): fields must be named by constant offsets", Involved());
        if (pointer.Offset != 0)
        {
            throw Reject(DiagnosticCode.InvalidContextAccess, pc,
                $"the context is accessed through r{register}, which was moved by {pointer.Offset}: put the field's offset in the instruction, not in the pointer", Involved());
        }

        var rules = ContextRules ?? throw Reject(DiagnosticCode.InvalidContextAccess, pc, $"{_options.Type.Name} programs have no context to access", Involved());
        var verdict = rules.Check(offset, size, kind);
        if (!verdict.Allowed)
        {
            string access = kind switch
            {
                ContextAccessKind.Store => "write",
                ContextAccessKind.Atomic => "access atomically",
                ContextAccessKind.SignExtendingLoad => "read with sign extension",
                _ => "read",
            };
            string field = verdict.Field is { } f ? $"{rules.Name}.{f.Name} (offset {f.Offset}, {f.Size} bytes)" : $"offset {offset} of {rules.Name}";
            throw Reject(DiagnosticCode.InvalidContextAccess, pc,
                $"{_options.Type.Name} programs may not {access} {size} bytes at {field}: {verdict.Reason}{AllowedWidths(verdict.Field, kind)}", Involved());
        }

        if (kind == ContextAccessKind.Store)
        {
            if (stored is { IsPointer: true } && Strict)
                throw RejectStrict(DiagnosticCode.PointerLeak, pc, $"storing pointer into {rules.Name}.{verdict.Field!.Name}, where the host can read it", Involved());
            return RegisterState.Uninitialized;
        }

        return verdict.Value switch
        {
            ContextValue.PacketStart => RegisterState.Pointer(RegisterKind.Packet, pc),
            ContextValue.PacketEnd => RegisterState.Pointer(RegisterKind.PacketEnd, pc),
            ContextValue.PacketMeta => RegisterState.Pointer(RegisterKind.PacketMeta, pc),
            // This runtime has no sockets: __sk_buff.sk is always null, so the checked branch is dead.
            ContextValue.SocketOrNull => RegisterState.Constant(0) with { Origin = pc },
            _ => UnknownOfSize(size),
        };
    }

    private static string AllowedWidths(ContextFieldRule? field, ContextAccessKind kind)
    {
        if (field is null || kind == ContextAccessKind.Atomic)
            return "";
        var widths = kind == ContextAccessKind.Store ? field.Write : field.Read;
        if (widths == AccessWidths.None)
            return kind == ContextAccessKind.Store ? " (the field is read-only)" : " (the field cannot be read)";
        var sizes = new[] { 1, 2, 4, 8 }.Where(size => widths.Allows(size));
        return $" (allowed: {string.Join(", ", sizes)}-byte {(kind == ContextAccessKind.Store ? "stores" : "loads")}, aligned)";
    }
}
