using Bpf.Maps;

namespace Bpf.Tests.Maps;

/// <summary>Reading a ring buffer asynchronously: wake-ups on submit, polling, cancellation.</summary>
public sealed class RingBufferAsyncReadingTests
{
    private static RingBufferMap Ring() => RingBufferMapTests.Ring();

    [Test]
    public async Task AsyncReadingWakesOnSubmit()
    {
        using var ring = Ring();
        ring.PollInterval = TimeSpan.FromHours(1); // only a wake-up can deliver
        using var cancellation = new CancellationTokenSource();
        var reader = ring.ReadAllAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        var first = reader.MoveNextAsync().AsTask();
        await Task.Delay(100); // let it go to sleep (a wake-up then has to reach it)
        Assert.That(first.IsCompleted, Is.False);

        ring.Output([42], 0);
        Assert.That(await first.WaitAsync(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(reader.Current, Is.EqualTo(new byte[] { 42 }));

        ring.Output([43], 0);
        ring.Output([44], 0);
        Assert.That(await reader.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(reader.Current, Is.EqualTo(new byte[] { 43 }));
        Assert.That(await reader.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(reader.Current, Is.EqualTo(new byte[] { 44 }));

        var waiting = reader.MoveNextAsync().AsTask();
        await cancellation.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(async () => await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        await reader.DisposeAsync();
    }

    [Test]
    public async Task AsyncReadingFindsRecordsSubmittedWithoutWakeupByPolling()
    {
        using var ring = Ring();
        ring.PollInterval = TimeSpan.FromMilliseconds(20);
        using var cancellation = new CancellationTokenSource();
        await using var reader = ring.ReadAllAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        var first = reader.MoveNextAsync().AsTask();
        await Task.Delay(50);
        ring.Output([9], RingBufferLayout.NoWakeup);
        Assert.That(await first.WaitAsync(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(reader.Current, Is.EqualTo(new byte[] { 9 }));
    }

    [Test]
    public async Task AsyncReadingFromAnotherThreadSeesEveryRecordOnce()
    {
        using var ring = Ring();
        ring.PollInterval = TimeSpan.FromHours(1);
        const int count = 2000;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                while (ring.Output(BitConverter.GetBytes(i), 0) != 0)
                    Thread.Sleep(1);
            }
        });
        int expected = 0;
        await foreach (var record in ring.ReadAllAsync(cancellation.Token))
        {
            Assert.That(BitConverter.ToInt32(record), Is.EqualTo(expected));
            if (++expected == count)
                break;
        }

        await producer;
    }
}
