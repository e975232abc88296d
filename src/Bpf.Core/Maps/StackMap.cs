namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_STACK</c>: last in, first out. Pop and peek take the newest value; a push with
/// <c>BPF_EXIST</c> on a full stack drops the oldest (the bottom), as the kernel does. See
/// <see cref="QueueOrStackMap"/>.
/// </summary>
public sealed class StackMap : QueueOrStackMap
{
    /// <summary>Creates the stack, empty.</summary>
    /// <exception cref="ArgumentException">The key size is not 0, the value size or entry count is not positive, or the flags are invalid.</exception>
    public StackMap(BpfMapDefinition definition)
        : base(definition)
    {
    }

    private protected override bool TakesNewest => true;
}
