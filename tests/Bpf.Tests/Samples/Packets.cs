using System.Buffers.Binary;

namespace Bpf.Tests.Samples;

/// <summary>Ethernet frames for the packet samples, built field by field.</summary>
internal static class Packets
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Ipv6 = 0x86dd;

    /// <summary>An Ethernet frame of <paramref name="length"/> bytes (at least 14) with EtherType <paramref name="etherType"/>.</summary>
    public static byte[] Ethernet(ushort etherType, int length = 64)
    {
        var frame = new byte[Math.Max(length, 14)];
        for (int i = 0; i < 12; i++)
            frame[i] = (byte)(0x10 + i);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        for (int i = 14; i < frame.Length; i++)
            frame[i] = (byte)i;
        return frame;
    }

    /// <summary>An IPv4 frame to <paramref name="destination"/> (a.b.c.d) with IP protocol <paramref name="protocol"/>.</summary>
    public static byte[] Ipv4To(string destination, byte protocol = 17, int length = 64)
    {
        var frame = Ethernet(Ipv4, Math.Max(length, 34));
        frame[14] = 0x45;
        frame[14 + 9] = protocol;
        Address(destination).CopyTo(frame, 14 + 16);
        return frame;
    }

    /// <summary>An IPv4 address in network byte order.</summary>
    public static byte[] Address(string dotted) => dotted.Split('.').Select(byte.Parse).ToArray();
}
