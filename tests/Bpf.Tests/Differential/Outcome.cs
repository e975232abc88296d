using System.Globalization;
using System.Text;
using Bpf.Runtime;

namespace Bpf.Tests.Differential;

/// <summary>How a run ended: the program returned, was stopped by a trap, or something else was thrown.</summary>
public enum OutcomeKind
{
    /// <summary>The program exited; <see cref="Outcome.Value"/> is r0.</summary>
    Returned,
    /// <summary>The engine stopped the program with a <see cref="BpfRuntimeException"/>.</summary>
    Trapped,
    /// <summary>Preparing or running threw something no engine should throw (a bug in the engine).</summary>
    Failed,
}

/// <summary>
/// The observable result of one run of a program on an input: r0 or the trap (kind and
/// instruction), and the input memory afterwards. Two engines agree on a program when their
/// outcomes are equal.
/// </summary>
public sealed class Outcome : IEquatable<Outcome>
{
    private Outcome(OutcomeKind kind, ulong value, TrapKind trap, int instructionIndex, string detail, byte[] memory)
    {
        Kind = kind;
        Value = value;
        Trap = trap;
        InstructionIndex = instructionIndex;
        Detail = detail;
        Memory = memory;
    }

    /// <summary>How the run ended.</summary>
    public OutcomeKind Kind { get; }

    /// <summary>r0, when the program returned.</summary>
    public ulong Value { get; }

    /// <summary>The trap, when the program was stopped.</summary>
    public TrapKind Trap { get; }

    /// <summary>The instruction the trap names, when the program was stopped.</summary>
    public int InstructionIndex { get; }

    /// <summary>The trap's or the exception's message (not compared: it contains addresses).</summary>
    public string Detail { get; }

    /// <summary>The input memory after the run.</summary>
    public byte[] Memory { get; }

    /// <summary>True if the program was stopped for running out of instruction budget.</summary>
    public bool IsBudgetExhausted => Kind == OutcomeKind.Trapped && Trap == TrapKind.BudgetExhausted;

    /// <summary>The program returned <paramref name="r0"/>.</summary>
    public static Outcome Returned(ulong r0, byte[] memory) => new(OutcomeKind.Returned, r0, default, -1, "", memory);

    /// <summary>The program was stopped.</summary>
    public static Outcome Trapped(BpfRuntimeException trap, byte[] memory) =>
        new(OutcomeKind.Trapped, 0, trap.Kind, trap.InstructionIndex, trap.Detail, memory);

    /// <summary>Something other than a trap was thrown.</summary>
    public static Outcome Failed(Exception exception, byte[] memory) =>
        new(OutcomeKind.Failed, 0, default, -1, $"{exception.GetType().FullName}: {exception.Message}", memory);

    /// <inheritdoc/>
    public bool Equals(Outcome? other) =>
        other is not null && Kind == other.Kind && Memory.AsSpan().SequenceEqual(other.Memory) && Kind switch
        {
            OutcomeKind.Returned => Value == other.Value,
            OutcomeKind.Trapped => Trap == other.Trap && InstructionIndex == other.InstructionIndex,
            _ => Detail == other.Detail,
        };

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Outcome);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Value, Trap, InstructionIndex);

    /// <summary>What happened, without the memory.</summary>
    public string Summary => Kind switch
    {
        OutcomeKind.Returned => string.Create(CultureInfo.InvariantCulture, $"returned r0 = 0x{Value:x16} ({(long)Value})"),
        OutcomeKind.Trapped => string.Create(CultureInfo.InvariantCulture, $"trapped {Trap} at instruction {InstructionIndex}: {Detail}"),
        _ => $"failed: {Detail}",
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Summary}; memory {Hex(Memory)}";

    /// <summary>Bytes as hex, a space every 8.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 2 + bytes.Length / 8);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0 && i % 8 == 0)
                text.Append(' ');
            text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
