using System.Runtime.InteropServices;
using Bpf.Isa;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Verification;

namespace Bpf.Tests.Runtime;

/// <summary>
/// Program contexts on every engine: XDP and socket buffers with their packet pointers translated
/// to real pointers, the XDP adjust helpers, context access rules, and host-defined structures.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class ContextTests(string engine)
{
    // An IPv4 packet: 14-byte Ethernet header (EtherType 0x0800), then 20 bytes of IPv4 header.
    private static readonly byte[] s_ipv4 =
    [
        0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];

    private BpfExecutable Prepare(string source, ProgramType type, ExecutionOptions? options = null) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), type: type), options ?? ExecutionOptions.Default);

    private static ProgramType Xdp => ProgramType.ForKind(BpfProgramKind.Xdp);

    private const string DropIpv4 = """
        ldxw %r2, [%r1+0]
        ldxw %r3, [%r1+4]
        mov %r4, %r2
        add %r4, 14
        jgt %r4, %r3, pass
        ldxh %r5, [%r2+12]
        jne %r5, 0x0008, pass
        mov %r0, 1
        exit
        pass:
        mov %r0, 2
        exit
        """;

    [Test]
    public void XdpProgramReadsThePacketThroughRealPointers()
    {
        var program = Prepare(DropIpv4, Xdp);
        Assert.Multiple(() =>
        {
            Assert.That(XdpContext.Run(program, s_ipv4).Action, Is.EqualTo(XdpAction.Drop));
            var ipv6 = (byte[])s_ipv4.Clone();
            ipv6[12] = 0x86;
            ipv6[13] = 0xdd;
            Assert.That(XdpContext.Run(program, ipv6).Action, Is.EqualTo(XdpAction.Pass));
            Assert.That(XdpContext.Run(program, s_ipv4.AsSpan(0, 10)).Action, Is.EqualTo(XdpAction.Pass), "too short for an Ethernet header");
        });
    }

    [Test]
    public void XdpProgramRewritesThePacketInPlace()
    {
        var program = Prepare("""
            ldxw %r2, [%r1+0]
            ldxw %r3, [%r1+4]
            mov %r4, %r2
            add %r4, 6
            jgt %r4, %r3, out
            stb [%r2+0], 0xaa
            stb [%r2+5], 0xbb
            out:
            mov %r0, 3
            exit
            """, Xdp);
        var result = XdpContext.Run(program, s_ipv4);
        Assert.Multiple(() =>
        {
            Assert.That(result.Action, Is.EqualTo(XdpAction.Tx));
            Assert.That(result.Packet[0], Is.EqualTo(0xaa));
            Assert.That(result.Packet[5], Is.EqualTo(0xbb));
            Assert.That(result.Packet.AsSpan(6).ToArray(), Is.EqualTo(s_ipv4.AsSpan(6).ToArray()));
        });
    }

    [Test]
    public void AdjustHeadGrowsThePacketIntoTheHeadroom()
    {
        var program = Prepare("""
            mov %r6, %r1
            mov %r2, -4
            call 44
            jne %r0, 0, fail
            ldxw %r2, [%r6+0]
            ldxw %r3, [%r6+4]
            mov %r4, %r2
            add %r4, 4
            jgt %r4, %r3, fail
            stw [%r2+0], 0x44332211
            mov %r0, 2
            exit
            fail:
            mov %r0, 0
            exit
            """, Xdp);
        var result = XdpContext.Run(program, s_ipv4);
        Assert.Multiple(() =>
        {
            Assert.That(result.Action, Is.EqualTo(XdpAction.Pass));
            Assert.That(result.HeadAdjustment, Is.EqualTo(-4));
            Assert.That(result.Packet, Is.EqualTo(new byte[] { 0x11, 0x22, 0x33, 0x44 }.Concat(s_ipv4).ToArray()));
        });
    }

    [TestCase(-300, TestName = "the head cannot grow past the headroom")]
    [TestCase(30, TestName = "the packet cannot shrink below an Ethernet header")]
    public void AdjustHeadRefusesToLeaveTheFrame(int delta)
    {
        var program = Prepare($"mov %r2, {delta}\ncall 44\nexit", Xdp);
        Assert.That(XdpContext.Run(program, s_ipv4).ReturnValue, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
    }

    [Test]
    public void AdjustTailShrinksAndGrowsWithZeros()
    {
        var shrink = Prepare("mov %r2, -6\ncall 65\nmov %r0, 2\nexit", Xdp);
        var grow = Prepare("mov %r2, 8\ncall 65\nmov %r0, 2\nexit", Xdp);
        Assert.Multiple(() =>
        {
            Assert.That(XdpContext.Run(shrink, s_ipv4).Packet, Is.EqualTo(s_ipv4[..^6]));
            Assert.That(XdpContext.Run(grow, s_ipv4).Packet, Is.EqualTo(s_ipv4.Concat(new byte[8]).ToArray()));
            Assert.That(XdpContext.Run(Prepare("mov %r2, 10000\ncall 65\nexit", Xdp), s_ipv4).ReturnValue, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
        });
    }

    [Test]
    public void AdjustMetaReservesMetadataBeforeThePacket()
    {
        var program = Prepare("""
            mov %r6, %r1
            mov %r2, -8
            call 54
            jne %r0, 0, fail
            ldxw %r2, [%r6+8]
            ldxw %r3, [%r6+0]
            mov %r4, %r3
            sub %r4, %r2
            jne %r4, 8, fail
            stdw [%r2+0], 7
            ldxdw %r0, [%r2+0]
            exit
            fail:
            mov %r0, 99
            exit
            """, Xdp);
        Assert.That(XdpContext.Run(program, s_ipv4).ReturnValue, Is.EqualTo(7UL));
    }

    [Test]
    public void XdpMetadataFieldsAreReadable() =>
        Assert.That(XdpContext.Run(Prepare("ldxw %r0, [%r1+12]\nldxw %r2, [%r1+16]\nlsh %r0, 8\nor %r0, %r2\nexit", Xdp), s_ipv4,
            new XdpMetadata(IngressIfindex: 7, RxQueueIndex: 3)).ReturnValue, Is.EqualTo(0x703UL));

    [Test]
    public void ContextSpilledToTheStackAndPassedToASubprogramIsStillTranslated()
    {
        var program = Prepare("""
            stxdw [%r10-8], %r1
            mov %r1, 0
            ldxdw %r1, [%r10-8]
            call local length
            exit
            length:
            ldxw %r2, [%r1+0]
            ldxw %r3, [%r1+4]
            mov %r0, %r3
            sub %r0, %r2
            exit
            """, Xdp);
        Assert.That(XdpContext.Run(program, s_ipv4).ReturnValue, Is.EqualTo((ulong)s_ipv4.Length));
    }

    [TestCase("stw [%r1+12], 1\nmov %r0, 2\nexit", 0, TestName = "xdp_md fields are read-only")]
    [TestCase("ldxh %r2, [%r1+0]\nmov %r0, 2\nexit", 0, TestName = "a pointer field is loaded whole")]
    [TestCase("ldxw %r2, [%r1+24]\nmov %r0, 2\nexit", 0, TestName = "nothing past the end of xdp_md")]
    [TestCase("add %r1, 4\nldxw %r2, [%r1+0]\nmov %r0, 2\nexit", 1, TestName = "no access through a modified context pointer")]
    [TestCase("jeq %r2, 0, +1\nmov %r1, %r10\nldxw %r2, [%r1-8]\nmov %r0, 2\nexit", 2, TestName = "no access through a register that is the context on one path only")]
    public void InvalidContextAccessesAreRejectedBeforeRunning(string source, int instruction)
    {
        var error = Assert.Throws<ContextAccessException>(() => Prepare(source, Xdp));
        Assert.That(error!.InstructionIndex, Is.EqualTo(instruction));
    }

    [Test]
    public void TcProgramSetsMarkAndControlBufferAndRewritesThePacket()
    {
        var program = Prepare("""
            ldxw %r2, [%r1+0]
            stxw [%r1+8], %r2
            stw [%r1+52], 0x1234
            ldxw %r3, [%r1+76]
            ldxw %r4, [%r1+80]
            mov %r5, %r3
            add %r5, 1
            jgt %r5, %r4, out
            stb [%r3+0], 0x77
            out:
            ldxw %r0, [%r1+16]
            exit
            """, ProgramType.ForKind(BpfProgramKind.SchedCls));
        var result = SocketBufferContext.Run(program, s_ipv4);
        Assert.Multiple(() =>
        {
            Assert.That(result.Mark, Is.EqualTo((uint)s_ipv4.Length), "mark = len");
            Assert.That(result.ControlBuffer[1], Is.EqualTo(0x1234u));
            Assert.That(result.Packet[0], Is.EqualTo(0x77));
            Assert.That(result.ReturnValue, Is.EqualTo(0x0008UL), "protocol is ETH_P_IP in network byte order");
        });
    }

    [Test]
    public void SocketFilterCannotWriteTheMark() =>
        Assert.Throws<ContextAccessException>(() => Prepare("stw [%r1+8], 1\nmov %r0, 0\nexit", ProgramType.ForKind(BpfProgramKind.SocketFilter)));

    [Test]
    public void SocketFilterReadsThePacketWithLegacyLoads() =>
        Assert.That(SocketBufferContext.Run(Prepare("ldabsh 12\nexit", ProgramType.ForKind(BpfProgramKind.SocketFilter)), s_ipv4).ReturnValue,
            Is.EqualTo(0x0800UL));

    [Test]
    public void SocketFilterPacketIsReadOnlyInCheckedMode()
    {
        var program = Prepare("ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, +1\nstb [%r2+0], 1\nmov %r0, 0\nexit",
            ProgramType.ForKind(BpfProgramKind.SocketFilter));
        Assert.That(Assert.Throws<BpfRuntimeException>(() => SocketBufferContext.Run(program, s_ipv4))!.Kind, Is.EqualTo(TrapKind.ReadOnlyMemory));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Event
    {
        public ulong Input;
        public ulong Output;
    }

    [Test]
    public void HostStructureContextIsReadAndWrittenInPlace()
    {
        var type = ProgramType.Struct("event", ContextLayout.Struct("event", 16, (8, 8)));
        var program = Prepare("ldxdw %r2, [%r1+0]\nmul %r2, 3\nstxdw [%r1+8], %r2\nmov %r0, 1\nexit", type);
        var value = new Event { Input = 14 };
        ulong result = StructContext.Run(program, ref value);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(1UL));
            Assert.That(value.Output, Is.EqualTo(42UL));
        });
    }

    [Test]
    public void HostStructureReadOnlyPartCannotBeWrittenInCheckedMode()
    {
        var type = ProgramType.Struct("event", ContextLayout.Struct("event", 16, (8, 8)));
        var program = Prepare("mov %r2, 1\nstxdw [%r1+0], %r2\nmov %r0, 1\nexit", type);
        var value = new Event { Input = 14 };
        Assert.Throws<BpfRuntimeException>(() => StructContext.Run(program, ref value));
        Assert.That(value.Input, Is.EqualTo(14UL));
    }
}
