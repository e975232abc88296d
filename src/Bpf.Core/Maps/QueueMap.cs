namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_QUEUE</c>: first in, first out. Pop and peek take the oldest value; a push with
/// <c>BPF_EXIST</c> on a full queue drops the oldest. See <see cref="QueueOrStackMap"/>.
/// </summary>
public sealed class QueueMap : QueueOrStackMap
{
    /// <summary>Creates the queue, empty.</summary>
    /// <exception cref="ArgumentException">The key size is not 0, the value size or entry count is not positive, or the flags are invalid.</exception>
    public QueueMap(BpfMapDefinition definition)
        : base(definition)
    {
    }

    private protected override bool TakesNewest => false;
}
