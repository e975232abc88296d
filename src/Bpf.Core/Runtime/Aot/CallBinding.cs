namespace Bpf.Runtime.Aot;

/// <summary>
/// What a helper or kfunc call of a precompiled program binds to: a helper by number, found in
/// the <see cref="ExecutionOptions.Helpers"/> the program is bound with (so host helpers registered
/// at run time are called), or a kfunc by its index among the program's kfuncs.
/// </summary>
/// <param name="IsKfunc">True for a kfunc, false for a helper.</param>
/// <param name="Number">The helper number or the kfunc index.</param>
public readonly record struct CallBinding(bool IsKfunc, int Number)
{
    /// <summary>The implementation the call binds to for <paramref name="image"/> and <paramref name="options"/>, or null when there is none.</summary>
    public Helpers.BpfHelperFunction? Resolve(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsKfunc)
            return options.Helpers.Find(Number)?.Function;
        return (uint)Number < (uint)image.Kfuncs.Count ? image.Kfuncs[Number].Function : null;
    }

    /// <summary>The call as the manifest of a precompiled program writes it.</summary>
    public override string ToString() => $"{(IsKfunc ? "kfunc" : "helper")} {Number}";
}
