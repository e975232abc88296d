namespace Bpf.Verification;

/// <summary>
/// How the ids of an explored state correspond to the ids of the state it is compared with (Linux's
/// <c>check_ids</c>). Ids link registers that learn together (copies of a scalar, of a maybe-null
/// pointer, packet pointers of one read): registers linked on the explored path must be linked the
/// same way on the current one, or a check would have taught the explored path something the
/// current one does not know. The numbers themselves differ from path to path, so each explored id
/// must map to one current id throughout the comparison.
/// </summary>
internal sealed class IdMap
{
    private readonly Dictionary<int, int> _map = [];
    private int _fresh;

    /// <summary>Forgets every pair (a new comparison).</summary>
    public void Clear()
    {
        _map.Clear();
        _fresh = 0;
    }

    /// <summary>True when explored id <paramref name="old"/> may stand for current id <paramref name="current"/> given the pairs seen so far.</summary>
    public bool Check(int old, int current)
    {
        if (old == 0)
            return true; // linked to nothing on the explored path: it learned nothing from others
        if (current == 0)
            current = int.MinValue + ++_fresh; // a current register linked to nothing: an id no other register has
        if (_map.TryGetValue(old, out int mapped))
            return mapped == current;
        _map[old] = current;
        return true;
    }
}
