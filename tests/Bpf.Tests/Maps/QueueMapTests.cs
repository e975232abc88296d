using System.Collections.Concurrent;
using System.Diagnostics;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Maps;

/// <summary>The queue map from the host: first in, first out, with the kernel's errors.</summary>
public sealed class QueueMapTests
{
    internal static BpfMapDefinition Definition(BpfMapType type = BpfMapType.Queue, int maxEntries = 3, int valueSize = 8, BpfMapFlags flags = BpfMapFlags.None) =>
        new() { Name = "q", Type = type, KeySize = 0, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    internal static byte[] Value(ulong value) => BitConverter.GetBytes(value);

    /// <summary>Runs each body on a thread of its own and waits for all; returns what they threw (a throw on a bare thread would end the test run).</summary>
    internal static IReadOnlyList<Exception> RunConcurrently(params Action[] bodies)
    {
        var errors = new ConcurrentQueue<Exception>();
        var threads = bodies.Select(body => new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        return [.. errors];
    }

    internal static ulong? Pop(QueueOrStackMap map)
    {
        var value = new byte[8];
        return map.TryPop(value) ? BitConverter.ToUInt64(value) : null;
    }

    [Test]
    public void ValuesComeOutInTheOrderTheyWentIn()
    {
        using var queue = new QueueMap(Definition());
        queue.Push(Value(1));
        queue.Push(Value(2));
        queue.Push(Value(3));
        Assert.That(new[] { Pop(queue), Pop(queue), Pop(queue), Pop(queue) }, Is.EqualTo(new ulong?[] { 1, 2, 3, null }));
    }

    [Test]
    public void OrderHoldsAcrossTheRingsWrapAround()
    {
        using var queue = new QueueMap(Definition(maxEntries: 3));
        var popped = new List<ulong?>();
        for (ulong i = 0; i < 10; i++)
        {
            queue.Push(Value(2 * i));
            queue.Push(Value(2 * i + 1));
            popped.Add(Pop(queue));
            popped.Add(Pop(queue));
        }

        Assert.That(popped, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (ulong?)(ulong)i)));
    }

    [Test]
    public void PeekShowsTheOldestWithoutRemovingIt()
    {
        using var queue = new QueueMap(Definition());
        queue.Push(Value(7));
        queue.Push(Value(8));
        var value = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(queue.TryPeek(value), Is.True);
            Assert.That(BitConverter.ToUInt64(value), Is.EqualTo(7UL));
            Assert.That(queue.Count, Is.EqualTo(2));
            Assert.That(Pop(queue), Is.EqualTo(7UL));
        });
    }

    [Test]
    public void PopAndPeekOfAnEmptyQueueFailAndZeroTheDestination()
    {
        using var queue = new QueueMap(Definition());
        var value = Value(0xdead);
        Assert.Multiple(() =>
        {
            Assert.That(queue.TryPeek(value), Is.False);
            Assert.That(value, Is.All.EqualTo(0));
        });
        value = Value(0xbeef);
        Assert.Multiple(() =>
        {
            Assert.That(queue.TryPop(value), Is.False);
            Assert.That(value, Is.All.EqualTo(0));
        });
    }

    [Test]
    public void PushingOntoAFullQueueIsE2Big()
    {
        using var queue = new QueueMap(Definition(maxEntries: 2));
        queue.Push(Value(1));
        queue.Push(Value(2));
        var error = Assert.Throws<BpfMapException>(() => queue.Push(Value(3)));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Errno, Is.EqualTo(Errno.E2BIG));
            Assert.That(queue.Count, Is.EqualTo(2));
            Assert.That(Pop(queue), Is.EqualTo(1UL));
        });
    }

    [Test]
    public void PushingWithExistOntoAFullQueueDropsTheOldest()
    {
        using var queue = new QueueMap(Definition(maxEntries: 3));
        for (ulong i = 1; i <= 3; i++)
            queue.Push(Value(i));
        queue.Push(Value(4), MapUpdateFlags.Exist);
        Assert.That(new[] { Pop(queue), Pop(queue), Pop(queue), Pop(queue) }, Is.EqualTo(new ulong?[] { 2, 3, 4, null }));
    }

    [Test]
    public void PushingWithExistWhenThereIsRoomJustPushes()
    {
        using var queue = new QueueMap(Definition(maxEntries: 3));
        queue.Push(Value(1), MapUpdateFlags.Exist);
        Assert.That(new[] { Pop(queue), Pop(queue) }, Is.EqualTo(new ulong?[] { 1, null }));
    }

    [TestCase(MapUpdateFlags.NoExist)]
    [TestCase(MapUpdateFlags.Lock)]
    [TestCase((MapUpdateFlags)8)]
    public void PushFlagsOtherThanAnyAndExistAreInvalid(MapUpdateFlags flags)
    {
        using var queue = new QueueMap(Definition());
        var error = Assert.Throws<BpfMapException>(() => queue.Push(Value(1), flags));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Errno, Is.EqualTo(Errno.EINVAL));
            Assert.That(queue.Count, Is.Zero);
        });
    }

    [Test]
    public void TheGenericOperationsAreTheKernelsPeekAndPush()
    {
        using var queue = new QueueMap(Definition());
        queue.Update([], Value(5));
        var value = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(queue.TryLookup([], value), Is.True);
            Assert.That(BitConverter.ToUInt64(value), Is.EqualTo(5UL));
            Assert.That(queue.Count, Is.EqualTo(1));
            Assert.Throws<NotSupportedException>(() => queue.Delete([]), "the kernel's EINVAL");
            Assert.Throws<NotSupportedException>(() => queue.TryGetNextKey([], new byte[4]), "the kernel's EINVAL");
            Assert.Throws<ArgumentException>(() => queue.Update(new byte[4], Value(5)), "a queue has no key");
        });
    }

    [Test]
    public void AValueOfTheWrongSizeIsRejected()
    {
        using var queue = new QueueMap(Definition(valueSize: 8));
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => queue.Push(new byte[4]));
            Assert.Throws<ArgumentException>(() => queue.TryPop(new byte[9]));
            Assert.That(queue.Count, Is.Zero);
        });
    }

    [Test]
    public void AReadOnlyQueueRefusesTheHostsPushAndPopButNotPeek()
    {
        using var queue = new QueueMap(Definition(flags: BpfMapFlags.ReadOnly));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BpfMapException>(() => queue.Push(Value(1)))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(Assert.Throws<BpfMapException>(() => queue.TryPop(new byte[8]))!.Errno, Is.EqualTo(Errno.EPERM));
            Assert.That(queue.TryPeek(new byte[8]), Is.False);
        });
    }

    [TestCase(4, 8, 3, BpfMapFlags.None, TestName = "a key")]
    [TestCase(0, 0, 3, BpfMapFlags.None, TestName = "no value")]
    [TestCase(0, 8, 0, BpfMapFlags.None, TestName = "no entries")]
    [TestCase(0, 8, 3, BpfMapFlags.NoPrealloc, TestName = "BPF_F_NO_PREALLOC")]
    [TestCase(0, 8, 3, BpfMapFlags.ReadOnlyProgram | BpfMapFlags.WriteOnlyProgram, TestName = "read-only and write-only for programs")]
    public void DefinitionsTheKernelRefusesAreRejected(int keySize, int valueSize, int maxEntries, BpfMapFlags flags)
    {
        var definition = Definition(maxEntries: maxEntries, valueSize: valueSize, flags: flags) with { KeySize = keySize };
        Assert.Throws<ArgumentException>(() => MapFactory.Create(definition));
    }

    [Test]
    public void TheFactoryMakesQueuesAndStacks()
    {
        using var queue = MapFactory.Create(Definition(BpfMapType.Queue));
        using var stack = MapFactory.Create(Definition(BpfMapType.Stack));
        Assert.Multiple(() =>
        {
            Assert.That(queue, Is.InstanceOf<QueueMap>());
            Assert.That(stack, Is.InstanceOf<StackMap>());
        });
    }
}

/// <summary>The queue map from programs, on every engine: helpers 87-89 and the map helpers it refuses.</summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public sealed class QueueMapProgramTests(string engine)
{
    // r1 is the input memory: the value to push, or where to pop or peek to.
    internal const string PushInput = "mov %r2, %r1\nlddw %r1, map_idx(0)\nmov %r3, {0}\ncall 87\nexit";
    internal const string PopToInput = "mov %r2, %r1\nlddw %r1, map_idx(0)\ncall 88\nexit";
    internal const string PeekToInput = "mov %r2, %r1\nlddw %r1, map_idx(0)\ncall 89\nexit";

    internal static BpfExecutable Prepare(string engine, string source, params BpfMap[] maps) =>
        Engines.Get(engine).Prepare(new ProgramImage(Assembler.Assemble(source), maps), ExecutionOptions.Default);

    [Test]
    public void ProgramsPushAndPopInOrder()
    {
        using var queue = new QueueMap(QueueMapTests.Definition(maxEntries: 4));
        var push = Prepare(engine, string.Format(PushInput, 0), queue);
        var pop = Prepare(engine, PopToInput, queue);
        foreach (ulong v in new ulong[] { 10, 20, 30 })
            Assert.That(push.Run(QueueMapTests.Value(v)), Is.Zero);
        var popped = new List<ulong>();
        for (int i = 0; i < 3; i++)
        {
            var buffer = new byte[8];
            Assert.That(pop.Run(buffer), Is.Zero);
            popped.Add(BitConverter.ToUInt64(buffer));
        }

        Assert.That(popped, Is.EqualTo(new ulong[] { 10, 20, 30 }));
    }

    [Test]
    public void ProgramsSeeWhatTheHostPushed()
    {
        using var queue = new QueueMap(QueueMapTests.Definition());
        queue.Push(QueueMapTests.Value(41));
        queue.Push(QueueMapTests.Value(42));
        var peek = new byte[8];
        var pop = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(engine, PeekToInput, queue).Run(peek), Is.Zero);
            Assert.That(Prepare(engine, PopToInput, queue).Run(pop), Is.Zero);
            Assert.That(BitConverter.ToUInt64(peek), Is.EqualTo(41UL));
            Assert.That(BitConverter.ToUInt64(pop), Is.EqualTo(41UL));
            Assert.That(QueueMapTests.Pop(queue), Is.EqualTo(42UL));
        });
    }

    [Test]
    public void PopOfAnEmptyQueueIsEnoentAndZeroesTheBuffer()
    {
        using var queue = new QueueMap(QueueMapTests.Definition());
        var buffer = QueueMapTests.Value(0x1122334455667788);
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(engine, PopToInput, queue).Run(buffer), Is.EqualTo(Errno.Negative(Errno.ENOENT)));
            Assert.That(buffer, Is.All.EqualTo(0));
        });
        buffer = QueueMapTests.Value(0x1122334455667788);
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(engine, PeekToInput, queue).Run(buffer), Is.EqualTo(Errno.Negative(Errno.ENOENT)));
            Assert.That(buffer, Is.All.EqualTo(0));
        });
    }

    [Test]
    public void PushErrorsAreTheKernels()
    {
        using var queue = new QueueMap(QueueMapTests.Definition(maxEntries: 1));
        var pushAny = Prepare(engine, string.Format(PushInput, 0), queue);
        var pushNoExist = Prepare(engine, string.Format(PushInput, 1), queue);
        var pushExist = Prepare(engine, string.Format(PushInput, 2), queue);
        Assert.Multiple(() =>
        {
            Assert.That(pushNoExist.Run(QueueMapTests.Value(1)), Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(pushAny.Run(QueueMapTests.Value(1)), Is.Zero);
            Assert.That(pushAny.Run(QueueMapTests.Value(2)), Is.EqualTo(Errno.Negative(Errno.E2BIG)));
            Assert.That(pushExist.Run(QueueMapTests.Value(3)), Is.Zero, "BPF_EXIST makes room");
            Assert.That(QueueMapTests.Pop(queue), Is.EqualTo(3UL));
        });
    }

    [Test]
    public void LookupUpdateAndDeleteAreRefused()
    {
        using var queue = new QueueMap(QueueMapTests.Definition());
        queue.Push(QueueMapTests.Value(9));
        ulong lookup = Prepare(engine, "lddw %r1, map_idx(0)\nmov %r2, %r10\ncall 1\nexit", queue).Run([]);
        ulong update = Prepare(engine, "stdw [%r10-8], 1\nlddw %r1, map_idx(0)\nmov %r2, %r10\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 2\nexit", queue).Run([]);
        ulong delete = Prepare(engine, "lddw %r1, map_idx(0)\nmov %r2, %r10\ncall 3\nexit", queue).Run([]);
        Assert.Multiple(() =>
        {
            Assert.That(lookup, Is.Zero);
            Assert.That(update, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(delete, Is.EqualTo(Errno.Negative(Errno.EINVAL)));
            Assert.That(queue.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void AProgramCannotPushOrPopAReadOnlyForProgramsQueue()
    {
        using var queue = new QueueMap(QueueMapTests.Definition(flags: BpfMapFlags.ReadOnlyProgram));
        queue.Push(QueueMapTests.Value(5));
        var buffer = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(Prepare(engine, string.Format(PushInput, 0), queue).Run(QueueMapTests.Value(1)), Is.EqualTo(Errno.Negative(Errno.EPERM)));
            Assert.That(Prepare(engine, PopToInput, queue).Run(buffer), Is.EqualTo(Errno.Negative(Errno.EPERM)));
            Assert.That(Prepare(engine, PeekToInput, queue).Run(buffer), Is.Zero);
            Assert.That(BitConverter.ToUInt64(buffer), Is.EqualTo(5UL));
        });
    }

    [Test]
    public void CheckedModeStopsAPopIntoMemoryTheProgramMayNotWriteAndKeepsTheValue()
    {
        using var queue = new QueueMap(QueueMapTests.Definition());
        queue.Push(QueueMapTests.Value(5));
        var pop = Prepare(engine, "lddw %r1, map_idx(0)\nlddw %r2, 0x7fff00001000\ncall 88\nexit", queue);
        var error = Assert.Throws<BpfRuntimeException>(() => pop.Run([]));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(TrapKind.OutOfBounds));
            Assert.That(QueueMapTests.Pop(queue), Is.EqualTo(5UL));
        });
    }

    [Test]
    public void ConcurrentProducersAndConsumersPassEveryValueExactlyOnce()
    {
        const int perProducer = 4000;
        const int producers = 3; // two programs and the host
        using var queue = new QueueMap(QueueMapTests.Definition(maxEntries: 64));
        var push = Prepare(engine, string.Format(PushInput, 0), queue);
        var pop = Prepare(engine, PopToInput, queue);
        var popped = new ConcurrentBag<ulong>();
        int remaining = producers * perProducer;
        var deadline = Stopwatch.StartNew();
        bool TimedOut() => deadline.Elapsed > TimeSpan.FromMinutes(2);

        void ProgramProducer(ulong tag)
        {
            for (ulong i = 0; i < perProducer && !TimedOut(); i++)
            {
                while (push.Run(QueueMapTests.Value(tag << 32 | i)) != 0 && !TimedOut())
                    Thread.Yield(); // full: -E2BIG
            }
        }

        void HostProducer(ulong tag)
        {
            for (ulong i = 0; i < perProducer && !TimedOut(); i++)
            {
                while (queue.Count >= queue.MaxEntries && !TimedOut())
                    Thread.Yield();
                try
                {
                    queue.Push(QueueMapTests.Value(tag << 32 | i));
                }
                catch (BpfMapException e) when (e.Errno == Errno.E2BIG)
                {
                    i--; // another producer filled it meanwhile: try again
                }
            }
        }

        void Consumer(bool program)
        {
            var buffer = new byte[8];
            while (Volatile.Read(ref remaining) > 0 && !TimedOut())
            {
                bool got = program ? pop.Run(buffer) == 0 : queue.TryPop(buffer);
                if (got)
                {
                    popped.Add(BitConverter.ToUInt64(buffer));
                    Interlocked.Decrement(ref remaining);
                }
                else
                {
                    Thread.Yield();
                }
            }
        }

        var errors = QueueMapTests.RunConcurrently(
            () => ProgramProducer(1), () => ProgramProducer(2), () => HostProducer(3), () => Consumer(program: true), () => Consumer(program: false));

        var expected = from tag in new ulong[] { 1, 2, 3 } from i in Enumerable.Range(0, perProducer) select tag << 32 | (uint)i;
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(TimedOut(), Is.False, "the producers and consumers finished");
            Assert.That(popped.OrderBy(v => v), Is.EqualTo(expected.OrderBy(v => v)), "every value popped once, none twice");
            Assert.That(queue.Count, Is.Zero);
        });
    }
}
