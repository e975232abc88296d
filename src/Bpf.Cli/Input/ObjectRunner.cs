using System.Globalization;
using Bpf.Cli.CommandLine;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;

namespace Bpf.Cli.Input;

/// <summary>
/// Runs a program of an object file the way its type says: XDP and socket/tc programs get a
/// packet (and report the action and the packet), other programs get raw memory (r1, r2).
/// </summary>
internal static class ObjectRunner
{
    /// <summary>The program to run: the one named, or the object's only program.</summary>
    public static BpfProgram Select(BpfObject obj, string? name, string command)
    {
        if (name is not null)
        {
            return obj.Programs.TryGetValue(name, out var named)
                ? named
                : throw new UsageException($"the object has no program '{name}'; it has: {string.Join(", ", obj.ProgramList.Select(p => p.Name))}", command);
        }

        return obj.ProgramList.Count switch
        {
            0 => throw new UsageException("the object has no programs", command),
            1 => obj.ProgramList[0],
            _ => throw new UsageException($"the object has {obj.ProgramList.Count} programs; choose one with --program: {string.Join(", ", obj.ProgramList.Select(p => p.Name))}", command),
        };
    }

    /// <summary>Runs <paramref name="executable"/> once on <paramref name="input"/> and describes the outcome in one line.</summary>
    public static string RunOnce(BpfExecutable executable, byte[] input)
    {
        var kind = executable.Image.Type.Kind;
        switch (kind)
        {
            case BpfProgramKind.Xdp:
            {
                var result = XdpContext.Run(executable, input);
                string action = Enum.IsDefined(result.Action) ? "XDP_" + result.Action.ToString().ToUpperInvariant() : $"action {result.ReturnValue}";
                return $"{action} ({result.ReturnValue}), packet {result.Packet.Length} bytes: {Shorten(result.Packet)}";
            }

            case BpfProgramKind.SocketFilter or BpfProgramKind.CgroupSkb or BpfProgramKind.SchedCls or BpfProgramKind.SchedAct:
            {
                var result = SocketBufferContext.Run(executable, input);
                return $"{result.ReturnValue.ToString("x16", CultureInfo.InvariantCulture)} (mark {result.Mark}), packet {result.Packet.Length} bytes: {Shorten(result.Packet)}";
            }

            default:
                return executable.Run((byte[])input.Clone()).ToString("x16", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Prints every map's entries (global data as variables).</summary>
    public static void DumpMaps(BpfObject obj, TextWriter output)
    {
        foreach (var map in obj.Maps)
        {
            output.WriteLine($"map {map}");
            if (map.Type == BpfMapType.Array && map.MaxEntries == 1 && map.Name.StartsWith('.'))
            {
                foreach (var variable in obj.Variables.Values.Where(v => v.Map == map).OrderBy(v => v.Offset))
                    output.WriteLine($"  {variable.Name} = {HexText.Format(variable.Bytes, int.MaxValue)}{Integer(variable.Bytes)}");
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
                    output.WriteLine($"  {HexText.Format(key, int.MaxValue)}{Integer(key)} => {HexText.Format(value, int.MaxValue)}{Integer(value)}");
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

    /// <summary>A packet's first 32 bytes in hex, and how many more there are.</summary>
    private static string Shorten(byte[] packet) =>
        packet.Length <= 32 ? HexText.Format(packet, int.MaxValue) : $"{HexText.Format(packet.AsSpan(0, 32), int.MaxValue)} ... ({packet.Length - 32} more)";

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
