using System.Globalization;
using System.Text;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Samples.AotHost;

/// <summary>
/// Describes a run the way <c>bpfjit run ... --dump-maps</c> does for an XDP program, so that a
/// test can compare this host's output with the JIT's line for line: the action and the packet,
/// then every map's entries (global data as variables, program arrays as their targets).
/// </summary>
internal static class RunReport
{
    /// <summary>One line: the action, r0, and the packet after the run (its first 32 bytes).</summary>
    public static string Describe(XdpResult result)
    {
        string action = Enum.IsDefined(result.Action) ? "XDP_" + result.Action.ToString().ToUpperInvariant() : $"action {result.ReturnValue}";
        return $"{action} ({result.ReturnValue}), packet {result.Packet.Length} bytes: {Shorten(result.Packet)}";
    }

    /// <summary>Prints every map and its entries (at most 64 per map).</summary>
    public static void DumpMaps(BpfObject obj, TextWriter output)
    {
        foreach (var map in obj.Maps)
        {
            output.WriteLine($"map {map}");
            if (map.Type == BpfMapType.Array && map.MaxEntries == 1 && map.Name.StartsWith('.'))
            {
                foreach (var variable in obj.Variables.Values.Where(v => v.Map == map).OrderBy(v => v.Offset))
                    output.WriteLine($"  {variable.Name} = {Hex(variable.Bytes)}{Integer(variable.Bytes)}");
                continue;
            }

            if (map is ProgramArrayMap programs)
            {
                for (int slot = 0; slot < map.MaxEntries; slot++)
                {
                    if (programs.TailCallTarget((ulong)slot) is { } target)
                        output.WriteLine($"  [{slot}] => program {target.Name}");
                }

                continue;
            }

            try
            {
                var value = new byte[map.HostValueSize];
                int shown = 0;
                foreach (var key in map.Keys)
                {
                    if (!map.TryLookup(key, value))
                        continue;
                    if (map.Type is BpfMapType.Array or BpfMapType.PercpuArray && value.All(b => b == 0))
                        continue; // arrays list only the elements that were written
                    output.WriteLine($"  {Hex(key)}{Integer(key)} => {Hex(value)}{Integer(value)}");
                    if (++shown == 64)
                    {
                        output.WriteLine("  ... (the first 64 entries)");
                        break;
                    }
                }
            }
            catch (NotSupportedException)
            {
                output.WriteLine("  (no entries to list for this map type)");
            }
        }
    }

    private static string Shorten(byte[] packet) =>
        packet.Length <= 32 ? Hex(packet) : $"{Hex(packet.AsSpan(0, 32))} ... ({packet.Length - 32} more)";

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (byte b in bytes)
        {
            if (text.Length > 0)
                text.Append(' ');
            text.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>The value as a little-endian integer, for keys and values of 1, 2, 4 or 8 bytes.</summary>
    private static string Integer(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        1 => $" ({bytes[0]})",
        2 => $" ({BitConverter.ToUInt16(bytes)})",
        4 => $" ({BitConverter.ToUInt32(bytes)})",
        8 => $" ({BitConverter.ToUInt64(bytes)})",
        _ => "",
    };
}
