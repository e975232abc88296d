using System.Collections.Concurrent;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The stack map from the host: last in, first out, with the kernel's errors.</summary>
public sealed class StackMapTests
{
    private static StackMap Stack(int maxEntries = 3) => new(QueueMapTests.Definition(BpfMapType.Stack, maxEntries));

    [Test]
    public void ValuesComeOutNewestFirst()
    {
        using var stack = Stack();
        foreach (ulong v in new ulong[] { 1, 2, 3 })
            stack.Push(QueueMapTests.Value(v));
        Assert.That(new[] { QueueMapTests.Pop(stack), QueueMapTests.Pop(stack), QueueMapTests.Pop(stack), QueueMapTests.Pop(stack) },
            Is.EqualTo(new ulong?[] { 3, 2, 1, null }));
    }

    [Test]
    public void PeekShowsTheNewestWithoutRemovingIt()
    {
        using var stack = Stack();
        stack.Push(QueueMapTests.Value(7));
        stack.Push(QueueMapTests.Value(8));
        var value = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(stack.TryPeek(value), Is.True);
            Assert.That(BitConverter.ToUInt64(value), Is.EqualTo(8UL));
            Assert.That(stack.Count, Is.EqualTo(2));
        });
    }

    [Test]
    public void PushingOntoAFullStackIsE2Big()
    {
        using var stack = Stack(maxEntries: 2);
        stack.Push(QueueMapTests.Value(1));
        stack.Push(QueueMapTests.Value(2));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => stack.Push(QueueMapTests.Value(3)))!.Errno, Is.EqualTo(Errno.E2BIG));
            Assert.That(QueueMapTests.Pop(stack), Is.EqualTo(2UL));
        });
    }

    [Test]
    public void PushingWithExistOntoAFullStackDropsTheBottom()
    {
        // The kernel advances the ring's tail, the oldest value, for stacks as for queues.
        using var stack = Stack(maxEntries: 3);
        foreach (ulong v in new ulong[] { 1, 2, 3 })
            stack.Push(QueueMapTests.Value(v));
        stack.Push(QueueMapTests.Value(4), MapUpdateFlags.Exist);
        Assert.That(new[] { QueueMapTests.Pop(stack), QueueMapTests.Pop(stack), QueueMapTests.Pop(stack), QueueMapTests.Pop(stack) },
            Is.EqualTo(new ulong?[] { 4, 3, 2, null }));
    }

    [Test]
    public void PushesAndPopsAcrossTheRingsWrapAround()
    {
        using var stack = Stack(maxEntries: 3);
        var popped = new List<ulong?>();
        for (ulong i = 0; i < 10; i++)
        {
            stack.Push(QueueMapTests.Value(i), MapUpdateFlags.Exist);
            if (i % 3 == 2)
                popped.Add(QueueMapTests.Pop(stack));
        }

        // Pushes 0..9 with pops after 2, 5 and 8; BPF_EXIST drops the bottom when full.
        popped.Add(QueueMapTests.Pop(stack));
        popped.Add(QueueMapTests.Pop(stack));
        popped.Add(QueueMapTests.Pop(stack));
        Assert.That(popped, Is.EqualTo(new ulong?[] { 2, 5, 8, 9, 7, 6 }));
    }

    [Test]
    public void PopOfAnEmptyStackFails()
    {
        using var stack = Stack();
        var value = QueueMapTests.Value(3);
        Assert.Multiple(() =>
        {
            Assert.That(stack.TryPop(value), Is.False);
            Assert.That(value, Is.All.EqualTo(0));
        });
    }
}

/// <summary>The stack map from programs, on every engine.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class StackMapProgramTests(string engine)
{
    [Test]
    public void ProgramsPushAndPopNewestFirst()
    {
        using var stack = new StackMap(QueueMapTests.Definition(BpfMapType.Stack, maxEntries: 2));
        var push = QueueMapProgramTests.Prepare(engine, string.Format(QueueMapProgramTests.PushInput, 0), stack);
        var pushExist = QueueMapProgramTests.Prepare(engine, string.Format(QueueMapProgramTests.PushInput, 2), stack);
        var pop = QueueMapProgramTests.Prepare(engine, QueueMapProgramTests.PopToInput, stack);
        var peek = QueueMapProgramTests.Prepare(engine, QueueMapProgramTests.PeekToInput, stack);
        var peeked = new byte[8];
        var first = new byte[8];
        var second = new byte[8];
        var third = QueueMapTests.Value(99);
        Assert.Multiple(() =>
        {
            Assert.That(push.Run(QueueMapTests.Value(1)), Is.Zero);
            Assert.That(push.Run(QueueMapTests.Value(2)), Is.Zero);
            Assert.That(push.Run(QueueMapTests.Value(3)), Is.EqualTo(Errno.Negative(Errno.E2BIG)));
            Assert.That(pushExist.Run(QueueMapTests.Value(3)), Is.Zero);
            Assert.That(peek.Run(peeked), Is.Zero);
            Assert.That(pop.Run(first), Is.Zero);
            Assert.That(pop.Run(second), Is.Zero);
            Assert.That(pop.Run(third), Is.EqualTo(Errno.Negative(Errno.ENOENT)));
            Assert.That(BitConverter.ToUInt64(peeked), Is.EqualTo(3UL));
            Assert.That(BitConverter.ToUInt64(first), Is.EqualTo(3UL));
            Assert.That(BitConverter.ToUInt64(second), Is.EqualTo(2UL), "1 was dropped from the bottom to make room for 3");
            Assert.That(third, Is.All.EqualTo(0));
        });
    }

    [Test]
    public void ConcurrentPushesAndPopsLoseAndDuplicateNothing()
    {
        const int perThread = 3000;
        using var stack = new StackMap(QueueMapTests.Definition(BpfMapType.Stack, maxEntries: 8));
        var push = QueueMapProgramTests.Prepare(engine, string.Format(QueueMapProgramTests.PushInput, 0), stack);
        var pop = QueueMapProgramTests.Prepare(engine, QueueMapProgramTests.PopToInput, stack);
        var popped = new ConcurrentBag<ulong>();
        var failures = new ConcurrentBag<string>();

        // Each thread pushes its values and pops one value after each push, so the stack never overflows.
        void Worker(ulong tag, bool program)
        {
            var buffer = new byte[8];
            for (ulong i = 0; i < perThread; i++)
            {
                var value = QueueMapTests.Value(tag << 32 | i);
                if (program && push.Run(value) != 0)
                    failures.Add($"push of {tag}:{i} failed");
                else if (!program)
                    stack.Push(value);
                bool got = program ? pop.Run(buffer) == 0 : stack.TryPop(buffer);
                if (got)
                    popped.Add(BitConverter.ToUInt64(buffer));
                else
                    failures.Add($"pop after {tag}:{i} found the stack empty, though this thread's value was there");
            }
        }

        var errors = QueueMapTests.RunConcurrently(() => Worker(1, true), () => Worker(2, true), () => Worker(3, false));

        var expected = from tag in new ulong[] { 1, 2, 3 } from i in Enumerable.Range(0, perThread) select tag << 32 | (uint)i;
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(failures, Is.Empty);
            Assert.That(popped.OrderBy(v => v), Is.EqualTo(expected.OrderBy(v => v)));
        });
    }
}
