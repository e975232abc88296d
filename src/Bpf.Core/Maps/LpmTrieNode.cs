namespace Bpf.Maps;

/// <summary>
/// A node of an <see cref="LpmTrieMap"/>: a prefix (its length and the key data it came from) and,
/// unless it is an intermediate node that only splits the trie, the address of its value. Everything
/// but the two children is fixed at construction, so a lookup that runs beside an update sees either
/// the old node or its replacement, each whole; the children are published with volatile writes
/// after the node is complete. Nodes are managed objects: one that an update unlinks lives on for
/// as long as a lookup still walks it, which is what the kernel gets from RCU.
/// </summary>
internal sealed class LpmTrieNode
{
    private LpmTrieNode? _child0;
    private LpmTrieNode? _child1;

    /// <summary>Creates a node with its children.</summary>
    public LpmTrieNode(int prefixLength, byte[] data, nint value, LpmTrieNode? child0 = null, LpmTrieNode? child1 = null)
    {
        PrefixLength = prefixLength;
        Data = data;
        Value = value;
        _child0 = child0;
        _child1 = child1;
    }

    /// <summary>The number of leading bits of <see cref="Data"/> the node matches.</summary>
    public int PrefixLength { get; }

    /// <summary>The key data as it was stored (never modified; bits past the prefix are kept, as the kernel keeps them).</summary>
    public byte[] Data { get; }

    /// <summary>The address of the value, or 0 for an intermediate node.</summary>
    public nint Value { get; }

    /// <summary>True for a node that only splits the trie and is never a lookup's answer.</summary>
    public bool IsIntermediate => Value == 0;

    /// <summary>The child slot for bit <paramref name="bit"/> (0 or 1) after the prefix; read and write it with <see cref="Volatile"/>.</summary>
    public ref LpmTrieNode? Child(int bit) => ref bit == 0 ? ref _child0 : ref _child1;

    /// <summary>The child for bit <paramref name="bit"/>, read as a lookup running beside an update must.</summary>
    public LpmTrieNode? ReadChild(int bit) => Volatile.Read(ref Child(bit));
}
