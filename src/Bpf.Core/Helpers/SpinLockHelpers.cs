using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Bpf.Runtime;
using Bpf.Runtime.CompilerServices;

namespace Bpf.Helpers;

/// <summary>
/// <c>bpf_spin_lock</c> and <c>bpf_spin_unlock</c>: a real lock in the 4-byte <c>struct
/// bpf_spin_lock</c> word of a map value, shared by every thread that runs programs on that map.
/// The word is 0 when free and holds an id of the locking thread while held (Linux's lock word
/// values are not part of its ABI either). Linux's verifier proves that programs unlock what they
/// lock; without it, a lock this thread already holds stops the program instead of deadlocking,
/// and a lock held longer than <see cref="ExecutionOptions.SpinLockTimeout"/> (left locked by a
/// run that stopped) stops the waiter instead of hanging it. Both stop with <see cref="TrapKind.SpinLock"/>.
/// </summary>
public static class SpinLockHelpers
{
    [ThreadStatic]
    private static uint t_owner;

    private static int s_lastOwner;

    /// <summary>The id this thread writes into the locks it holds: never 0.</summary>
    private static uint Owner
    {
        get
        {
            if (t_owner == 0)
            {
                uint id;
                do
                    id = (uint)Interlocked.Increment(ref s_lastOwner);
                while (id == 0);
                t_owner = id;
            }

            return t_owner;
        }
    }

    /// <summary>
    /// <c>bpf_spin_lock(lock)</c> (helper 93): waits until the lock is free and takes it. The lock
    /// must be 4-byte aligned and, in checked mode, in memory the program may write.
    /// </summary>
    /// <exception cref="BpfRuntimeException">This thread holds the lock already, or it stayed held past the timeout.</exception>
    public static unsafe ulong Lock(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint* word = LockWord(r1, invocation);
        uint owner = Owner;
        if (Interlocked.CompareExchange(ref *word, owner, 0) != 0)
            WaitFor(word, owner, invocation);
        return 0;
    }

    /// <summary>
    /// <c>bpf_spin_unlock(lock)</c> (helper 94): releases the lock. In checked mode the run's thread
    /// must hold it.
    /// </summary>
    /// <exception cref="BpfRuntimeException">Checked mode, and this thread does not hold the lock.</exception>
    public static unsafe ulong Unlock(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint* word = LockWord(r1, invocation);
        if (!invocation.Options.Checked)
            Volatile.Write(ref *word, 0);
        else if (Interlocked.CompareExchange(ref *word, 0, Owner) != Owner)
            Misuse(invocation, r1, "bpf_spin_unlock of a lock this run does not hold");
        return 0;
    }

    private static unsafe uint* LockWord(ulong address, Invocation invocation)
    {
        uint* word = (uint*)invocation.HelperWrite(address, sizeof(uint));
        // Atomics need the alignment on every processor (x86 may even kill a process for split locks).
        if ((address & 3) != 0)
            Traps.Misaligned(address, sizeof(uint), invocation.CurrentInstruction);
        return word;
    }

    private static unsafe void WaitFor(uint* word, uint owner, Invocation invocation)
    {
        if (Volatile.Read(ref *word) == owner)
            Misuse(invocation, (ulong)word, "bpf_spin_lock of a lock this thread already holds (it would wait for itself forever)");
        var timeout = invocation.Options.SpinLockTimeout;
        long start = Stopwatch.GetTimestamp();
        var spinner = default(SpinWait);
        while (true)
        {
            spinner.SpinOnce();
            if (Volatile.Read(ref *word) == 0 && Interlocked.CompareExchange(ref *word, owner, 0) == 0)
                return;
            if (timeout is { } limit && Stopwatch.GetElapsedTime(start) > limit)
                Misuse(invocation, (ulong)word, $"bpf_spin_lock waited {limit.TotalMilliseconds:0} ms for a lock (was it left locked by a run that stopped?)");
        }
    }

    [DoesNotReturn]
    private static void Misuse(Invocation invocation, ulong address, string what) =>
        throw new BpfRuntimeException(TrapKind.SpinLock, invocation.CurrentInstruction, $"{what} at 0x{address:x}");
}
