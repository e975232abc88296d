namespace Bpf.Verification;

/// <summary>
/// What a program type lets programs do with one context field: the access sizes allowed for loads
/// and stores (each access aligned to its size and inside the field) and what a load yields.
/// </summary>
/// <param name="Name">The C name (<c>data_end</c>, <c>cb</c>, <c>regs</c>).</param>
/// <param name="Offset">The field's byte offset in the context.</param>
/// <param name="Size">The field's size in bytes.</param>
/// <param name="Read">The load sizes allowed; <see cref="AccessWidths.None"/> if the field cannot be read.</param>
/// <param name="Write">The store sizes allowed; <see cref="AccessWidths.None"/> if the field is read-only.</param>
/// <param name="Value">What a load gives.</param>
public sealed record ContextFieldRule(string Name, int Offset, int Size, AccessWidths Read, AccessWidths Write = AccessWidths.None, ContextValue Value = ContextValue.Scalar)
{
    /// <summary>One past the field's last byte.</summary>
    public int End => Offset + Size;
}
