namespace Bpf.Runtime.Contexts;

/// <summary>
/// Programs whose context is a structure the host defines (tracing-style programs, or any host's
/// own event type): r1 points to the host's value, which the program reads (and writes where the
/// program type's layout allows) in place.
/// </summary>
public static unsafe class StructContext
{
    /// <summary>
    /// Runs <paramref name="program"/> with r1 pointing to <paramref name="context"/>. In checked mode
    /// the program may read the whole structure and write where the program type's layout says it
    /// may (everywhere when the type has no layout).
    /// </summary>
    /// <returns>r0.</returns>
    public static ulong Run<T>(BpfExecutable program, ref T context)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(program);
        var layout = program.Image.Type.Context;
        if (layout is not null && layout.Size > sizeof(T))
            throw new ArgumentException($"the program's context {layout.Name} is {layout.Size} bytes, but {typeof(T).Name} is {sizeof(T)}", nameof(context));

        fixed (T* pointer = &context)
        {
            var invocation = Invocation.Rent(program.Options);
            try
            {
                if (layout is null)
                {
                    invocation.AddRegion((nint)pointer, sizeof(T), writable: true);
                }
                else
                {
                    foreach (var field in layout.Fields)
                        invocation.AddRegion((nint)((byte*)pointer + field.Offset), field.Size, field.Writable);
                }

                invocation.ContextAddress = (nint)pointer;
                return program.Run((ulong)pointer, 0, 0, 0, 0, invocation);
            }
            finally
            {
                Invocation.Return(invocation);
            }
        }
    }
}
