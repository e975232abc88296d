using System.Reflection;
using Sre = System.Reflection.Emit;
using Cil = Mono.Cecil.Cil;

namespace Bpf.Aot.Emit;

/// <summary>Translates the lowering's <see cref="Sre.OpCode"/>s to Cecil's, by their encoded value.</summary>
internal static class CecilOpCodes
{
    private static readonly Dictionary<short, Cil.OpCode> s_byValue = typeof(Cil.OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(Cil.OpCode))
        .Select(f => (Cil.OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Cecil's opcode for <paramref name="opcode"/>.</summary>
    /// <exception cref="NotSupportedException">Cecil has no such opcode (it has every ECMA-335 opcode, so this is a bug).</exception>
    public static Cil.OpCode Of(Sre.OpCode opcode) =>
        s_byValue.TryGetValue(opcode.Value, out var cil) ? cil : throw new NotSupportedException($"no Cecil opcode for {opcode.Name}");
}
