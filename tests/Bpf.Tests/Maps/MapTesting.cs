using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>Definitions and byte conversions the map tests share.</summary>
internal static class MapTesting
{
    /// <summary>A definition with 8-byte keys and values unless told otherwise.</summary>
    public static BpfMapDefinition Definition(BpfMapType type, int maxEntries, int keySize = 8, int valueSize = 8, BpfMapFlags flags = BpfMapFlags.None) =>
        new() { Name = $"test_{type}".ToLowerInvariant(), Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    /// <summary>The 8 bytes of <paramref name="value"/>.</summary>
    public static byte[] U64(ulong value) => BitConverter.GetBytes(value);

    /// <summary>The 4 bytes of <paramref name="value"/>.</summary>
    public static byte[] U32(uint value) => BitConverter.GetBytes(value);

    /// <summary>The host's lookup of an 8-byte key with an 8-byte value, or null.</summary>
    public static ulong? Get(BpfMap map, ulong key)
    {
        var value = new byte[map.HostValueSize];
        return map.TryLookup(U64(key), value) ? BitConverter.ToUInt64(value) : null;
    }

    /// <summary>Every 8-byte key of the map, through <see cref="BpfMap.Keys"/>, sorted.</summary>
    public static ulong[] KeysOf(BpfMap map) => [.. map.Keys.Select(k => BitConverter.ToUInt64(k)).Order()];

    /// <summary>The errno of a host update the map refuses, or 0 if it accepts it.</summary>
    public static int UpdateErrno(BpfMap map, byte[] key, byte[] value, MapUpdateFlags flags)
    {
        try
        {
            map.Update(key, value, flags);
            return 0;
        }
        catch (BpfMapException error)
        {
            return error.Errno;
        }
    }

    /// <summary>The program-side result of errno <paramref name="errno"/>.</summary>
    public static long Negative(int errno) => -errno;

    /// <summary>An invocation for calling a map's program operations from a host thread.</summary>
    public static Invocation HostInvocation() => new(ExecutionOptions.Default with { Checked = false });
}
