using System.ComponentModel;
using System.Runtime.CompilerServices;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Runtime;

/// <summary>Checked mode: the memory a run may touch, and the checks of every access.</summary>
public sealed partial class Invocation
{
    /// <summary>Lets the program access <paramref name="length"/> bytes at <paramref name="start"/> in checked mode.</summary>
    public void AddRegion(nint start, nint length, bool writable)
    {
        if (length <= 0)
            return;
        if (_regionCount == _regions.Length)
            Array.Resize(ref _regions, _regions.Length * 2);
        _regions[_regionCount++] = new MemoryRegion(start, length, writable);
    }

    /// <summary>
    /// Takes back, for the rest of the run, access to <paramref name="length"/> bytes at
    /// <paramref name="start"/>: regions overlapping them shrink, split or go. Helpers call it when
    /// memory they handed out stops being the program's (freed arena pages, a submitted ring buffer
    /// record), so that checked mode stops the program from touching it.
    /// </summary>
    public void RemoveRegion(nint start, nint length)
    {
        if (length <= 0)
            return;
        ulong removedStart = (ulong)start;
        ulong removedEnd = removedStart + (ulong)length;
        int kept = 0;
        int count = _regionCount;
        for (int i = 0; i < count; i++)
        {
            var region = _regions[i];
            ulong regionStart = (ulong)region.Start;
            ulong regionEnd = regionStart + (ulong)region.Length;
            if (regionEnd <= removedStart || regionStart >= removedEnd)
            {
                _regions[kept++] = region;
                continue;
            }

            // Order is kept (the first region holding an address decides whether it is writable); the
            // piece after the removed range, if any, goes to the end.
            if (regionStart < removedStart)
                _regions[kept++] = region with { Length = (nint)(removedStart - regionStart) };
            if (regionEnd > removedEnd)
            {
                if (_regionCount == _regions.Length)
                    Array.Resize(ref _regions, _regions.Length * 2);
                _regions[_regionCount++] = region with { Start = (nint)removedEnd, Length = (nint)(regionEnd - removedEnd) };
            }
        }

        // Regions appended past the scanned ones (right-hand pieces) move down behind the kept ones.
        for (int i = count; i < _regionCount; i++)
            _regions[kept++] = _regions[i];
        _regionCount = kept;
        _hotLength = 0; // the cached region may be the one that went
    }

    // The members below are called by compiled code and by the interpreter.

    /// <summary>Checks a load of <paramref name="size"/> bytes and returns the address as a pointer.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint CheckRead(ulong address, int size, int instruction)
    {
        ulong offset = address - _hotStart;
        if (offset < _hotLength && _hotLength - offset >= (ulong)size)
            return (nint)address;
        if (!IsAccessible(address, size, write: false))
            Traps.OutOfBounds(this, address, size, write: false, instruction);
        return (nint)address;
    }

    /// <summary>Checks a store of <paramref name="size"/> bytes and returns the address as a pointer.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint CheckWrite(ulong address, int size, int instruction)
    {
        ulong offset = address - _hotStart;
        if (offset < _hotLength && _hotLength - offset >= (ulong)size && _hotWritable)
            return (nint)address;
        if (!IsAccessible(address, size, write: true))
            Traps.OutOfBounds(this, address, size, write: true, instruction);
        return (nint)address;
    }

    /// <summary>
    /// Checks an atomic access (read-modify-write, load-acquire or store-release): in bounds,
    /// writable when it writes, and aligned to its size as every processor requires.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public nint CheckAtomic(ulong address, int size, bool write, int instruction)
    {
        if ((address & (ulong)(size - 1)) != 0)
            Traps.Misaligned(address, size, instruction);
        return write ? CheckWrite(address, size, instruction) : CheckRead(address, size, instruction);
    }

    /// <summary>Records the stack frame of a function being entered (checked mode).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void EnterFrame(nint frameStart, int instruction)
    {
        if (_frameDepth - _frameFloor == Registers.MaxCallDepth)
            Traps.CallDepthExceeded(instruction);
        _frames[_frameDepth++] = frameStart;
    }

    /// <summary>Forgets the innermost stack frame (checked mode).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void LeaveFrame()
    {
        // The frame is gone: stop trusting it if it is the cached region.
        if (_hotStart == (ulong)_frames[--_frameDepth])
            _hotLength = 0;
    }

    /// <summary>Charges <paramref name="count"/> instructions to the budget and stops the program when it is spent.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ConsumeBudget(int count, int instruction)
    {
        if ((_budget -= count) < 0)
            Traps.BudgetExhausted(_options.InstructionBudget, instruction);
    }

    /// <summary>
    /// The legacy packet load: <paramref name="size"/> bytes at <paramref name="offset"/> into the
    /// packet, in network byte order, zero-extended. Outside the packet the program ends with
    /// r0 = 0, as in Linux.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public unsafe ulong LoadPacket(long offset, int size)
    {
        if (offset < 0 || offset > PacketLength - size)
            throw new PacketLoadAbortException();
        byte* p = (byte*)PacketStart + offset;
        return size switch
        {
            1 => *p,
            2 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(p)),
            _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(p)),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsAccessible(ulong address, int size, bool write)
    {
        // Innermost frame first: most accesses are to the current stack frame.
        for (int i = _frameDepth - 1; i >= _frameFloor; i--)
        {
            ulong offset = address - (ulong)_frames[i];
            if (size <= Registers.StackFrameSize && offset <= (ulong)(Registers.StackFrameSize - size))
            {
                Remember((ulong)_frames[i], Registers.StackFrameSize, writable: true);
                return true;
            }
        }

        for (int i = 0; i < _regionCount; i++)
        {
            ref readonly var region = ref _regions[i];
            if (region.Contains(address, size))
            {
                Remember((ulong)region.Start, (ulong)region.Length, region.Writable);
                return !write || region.Writable;
            }
        }

        return false;
    }

    private void Remember(ulong start, ulong length, bool writable)
    {
        _hotStart = start;
        _hotLength = length;
        _hotWritable = writable;
    }

    /// <summary>Finds the region holding an address, for error messages.</summary>
    internal MemoryRegion? RegionContaining(ulong address)
    {
        for (int i = 0; i < _regionCount; i++)
        {
            if (_regions[i].Contains(address, 1))
                return _regions[i];
        }

        return null;
    }

    /// <summary>
    /// Lets the program touch the values of <paramref name="map"/> in checked mode. Engines do it for
    /// the maps a program refers to; helpers that hand out pointers into other maps (inner maps of
    /// map-in-map) do it before returning them.
    /// </summary>
    public void AllowMapAccess(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!_options.Checked)
            return;
        foreach (var region in map.ValueRegions)
        {
            if (!Regions.Contains(region))
                AddRegion(region.Start, region.Length, region.Writable);
        }
    }

    /// <summary>
    /// Checks, in checked mode, a pointer a helper received from the program: <paramref name="size"/>
    /// bytes at <paramref name="address"/> must lie in memory the program may read. Returns the pointer.
    /// The error names the instruction of the call (<see cref="CurrentInstruction"/>).
    /// </summary>
    public nint HelperRead(ulong address, long size)
    {
        if (!_options.Checked || size == 0)
            return (nint)address;
        if (size < 0 || size > int.MaxValue || !IsAccessible(address, (int)size, write: false))
            Traps.OutOfBounds(this, address, (int)Math.Clamp(size, 0, int.MaxValue), write: false, CurrentInstruction);
        return (nint)address;
    }

    /// <summary>
    /// True if the program may read <paramref name="size"/> bytes at <paramref name="address"/>: in
    /// checked mode its live stack frames and its regions; without checked mode (no frames are
    /// tracked) the regions the run was given. For helpers that must answer a bad pointer with an
    /// error instead of a trap (probe reads) and that scan strings of unknown length.
    /// </summary>
    public bool CanRead(ulong address, long size) =>
        size == 0 || (size > 0 && size <= int.MaxValue && IsAccessible(address, (int)size, write: false));

    /// <summary>Like <see cref="HelperRead"/> for memory the helper will write.</summary>
    public nint HelperWrite(ulong address, long size)
    {
        if (!_options.Checked || size == 0)
            return (nint)address;
        if (size < 0 || size > int.MaxValue || !IsAccessible(address, (int)size, write: true))
            Traps.OutOfBounds(this, address, (int)Math.Clamp(size, 0, int.MaxValue), write: true, CurrentInstruction);
        return (nint)address;
    }
}
