using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>
/// What the verifier knows about one register at one point of one path: its kind and, for scalars,
/// the value's bounds; for pointers, the fixed offset, the variable offset (<see cref="Value"/>),
/// what it points into, whether it may be null, and where it came from (for diagnostics).
/// </summary>
/// <param name="Kind">What the register holds.</param>
/// <param name="Value">Scalars: the value; pointers: the variable part of the offset.</param>
/// <param name="Offset">Pointers: the fixed offset from the start of what they point into.</param>
/// <param name="MaybeNull">Pointers that may be null until a check proves otherwise.</param>
/// <param name="Id">
/// Links registers that must learn together: copies of a maybe-null pointer (a null check refines
/// all of them), packet pointers of one packet read, copies of a scalar, and the length scalar of a
/// memory region whose size it gives (<see cref="RegisterKind.Memory"/> with <see cref="Size"/> &lt; 0).
/// </param>
/// <param name="Map">Map pointers and map values: the map.</param>
/// <param name="Size">Memory: the size in bytes, or -1 when the size is the scalar with <see cref="Id"/> (proven sizes live in the state).</param>
/// <param name="Range">Packet pointers: bytes proven readable from the pointer by a check against <c>data_end</c>.</param>
/// <param name="Frame">Stack pointers: the frame (0 the main function, 1 its callee...).</param>
/// <param name="ReadOnly">Pointers into memory programs may not write (<c>.rodata</c>, read-only maps).</param>
/// <param name="Origin">The instruction that produced the value, or -1 (for diagnostics).</param>
/// <param name="Below">
/// Scalars: the id of a length scalar this value is proven (unsigned) less than, by a comparison
/// (<c>if (i &lt; length)</c>); pointers into memory sized by a scalar: their variable part is such a
/// value. 0 when nothing is known. It is what lets raw-memory programs index their input.
/// </param>
public sealed record RegisterState(
    RegisterKind Kind,
    Scalar Value,
    int Offset = 0,
    bool MaybeNull = false,
    int Id = 0,
    BpfMap? Map = null,
    long Size = 0,
    long Range = 0,
    int Frame = 0,
    bool ReadOnly = false,
    int Origin = -1,
    int Below = 0)
{
    /// <summary>A register never written.</summary>
    public static RegisterState Uninitialized { get; } = new(RegisterKind.NotInitialized, Scalar.Unknown);

    /// <summary>A scalar with any value.</summary>
    public static RegisterState UnknownScalar { get; } = new(RegisterKind.Scalar, Scalar.Unknown);

    /// <summary>A scalar with the value <paramref name="value"/>.</summary>
    public static RegisterState Constant(ulong value) => new(RegisterKind.Scalar, Scalar.Constant(value));

    /// <summary>A scalar with the bounds of <paramref name="value"/>.</summary>
    public static RegisterState FromScalar(Scalar value, int id = 0) => new(RegisterKind.Scalar, value, Id: id);

    /// <summary>A pointer of <paramref name="kind"/> at offset 0.</summary>
    public static RegisterState Pointer(RegisterKind kind, int origin = -1) => new(kind, Scalar.Constant(0), Origin: origin);

    /// <summary>True for scalars.</summary>
    public bool IsScalar => Kind == RegisterKind.Scalar;

    /// <summary>True for every kind of pointer.</summary>
    public bool IsPointer => Kind is not (RegisterKind.NotInitialized or RegisterKind.Scalar);

    /// <summary>True when the register is a scalar known exactly.</summary>
    public bool IsConstant => IsScalar && Value.IsConstant;

    /// <summary>True when every value of <paramref name="other"/> is one this state allows (for pruning: this is the explored state).</summary>
    public bool Covers(RegisterState other) => Covers(other, new IdMap(), precise: true);

    /// <summary>
    /// <see cref="Covers(RegisterState)"/> within one comparison of states: ids (the links between
    /// registers that learn together) must correspond as <paramref name="ids"/> has them so far. A
    /// scalar that is not <paramref name="precise"/> (its value never decided anything on the explored
    /// paths: no branch, pointer offset, helper argument or return value) covers every scalar, as
    /// Linux's imprecise scalars do; iterator slots (negative ids) are always compared.
    /// </summary>
    internal bool Covers(RegisterState other, IdMap ids, bool precise)
    {
        if (Kind == RegisterKind.NotInitialized)
            return true; // the explored path never read it
        if (Kind != other.Kind)
            return false;
        if (Below != 0 && Below != other.Below)
            return false;
        if (Kind == RegisterKind.Scalar)
            return !precise && Id >= 0 && other.Id >= 0 ? Below == 0 || Below == other.Below : Value.Covers(other.Value) && ids.Check(Id, other.Id);
        return Offset == other.Offset && Value.Covers(other.Value) && MaybeNull == other.MaybeNull && ReferenceEquals(Map, other.Map)
            && Size == other.Size && Range <= other.Range && Frame == other.Frame && ReadOnly == other.ReadOnly
            && ids.Check(Id, other.Id);
    }

    /// <summary>How the register is described in diagnostics and logs.</summary>
    public override string ToString() => Kind switch
    {
        RegisterKind.NotInitialized => "uninitialized",
        RegisterKind.Scalar => Value.IsConstant ? $"{(long)Value.ConstantValue}" : $"scalar({Value})",
        RegisterKind.Stack => $"fp{(Frame > 0 ? $"[{Frame}]" : "")}{Describe()}",
        RegisterKind.MapPointer => $"map_ptr({Map?.Name})",
        RegisterKind.MapValue => $"map_value{(MaybeNull ? "_or_null" : "")}({Map?.Name}{Describe()}, {Map?.ValueSize} bytes)",
        RegisterKind.Memory => $"mem{(MaybeNull ? "_or_null" : "")}({(Describe() is { Length: > 0 } offset ? offset + ", " : "")}{(Size >= 0 ? $"{Size} bytes" : "size from a scalar")})",
        RegisterKind.Packet => $"pkt({(Describe() is { Length: > 0 } offset ? offset + ", " : "")}range {Range})",
        _ => $"{Kind.ToString().ToLowerInvariant()}{Describe()}",
    };

    private string Describe()
    {
        string variable = Value.IsConstant && Value.ConstantValue == 0 ? "" : $" + {Value}";
        return Offset == 0 && variable.Length == 0 ? "" : $"{(Offset >= 0 ? "+" : "")}{Offset}{variable}";
    }
}
