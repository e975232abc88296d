namespace Bpf.Helpers;

/// <summary>
/// Output of the print helpers into a fixed buffer, as Linux's <c>bstr_printf</c> writes: what does
/// not fit is counted but dropped, and the buffer always ends with a NUL (when it has room for one),
/// so the caller learns the length the whole output needs.
/// </summary>
internal ref struct FormatWriter
{
    private readonly Span<byte> _buffer;
    private readonly int _capacity;
    private long _length;

    /// <summary>Writes into <paramref name="buffer"/>, keeping its last byte for the NUL.</summary>
    public FormatWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _capacity = Math.Max(buffer.Length - 1, 0);
    }

    /// <summary>The length of the whole output so far, including what did not fit.</summary>
    public readonly long Length => _length;

    /// <summary>Appends one byte.</summary>
    public void Append(byte value)
    {
        if (_length < _capacity)
            _buffer[(int)_length] = value;
        _length++;
    }

    /// <summary>Appends bytes.</summary>
    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        if (_length < _capacity)
            bytes[..(int)Math.Min(bytes.Length, _capacity - _length)].CopyTo(_buffer[(int)_length..]);
        _length += bytes.Length;
    }

    /// <summary>Appends <paramref name="count"/> copies of <paramref name="value"/> (nothing when it is not positive).</summary>
    public void Repeat(byte value, long count)
    {
        if (count <= 0)
            return;
        if (_length < _capacity)
            _buffer.Slice((int)_length, (int)Math.Min(count, _capacity - _length)).Fill(value);
        _length += count;
    }

    /// <summary>Ends the output with a NUL: after the text, or in the last byte when the text was cut.</summary>
    public readonly void Terminate()
    {
        if (_buffer.Length > 0)
            _buffer[(int)Math.Min(_length, _capacity)] = 0;
    }
}
