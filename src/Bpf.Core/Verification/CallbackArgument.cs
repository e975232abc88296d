namespace Bpf.Verification;

/// <summary>
/// What a helper passes to its callback (<see cref="HelperArgument.Function"/>) in one register, as
/// the kernel's <c>set_loop_callback_state</c> and <c>set_map_elem_callback_state</c> set them up.
/// </summary>
public enum CallbackArgument
{
    /// <summary>The register is not set: the callback may not read it.</summary>
    Unset,

    /// <summary>An unknown scalar (<c>bpf_loop</c>'s iteration index).</summary>
    Scalar,

    /// <summary>The helper's map argument (<c>CONST_PTR_TO_MAP</c>).</summary>
    Map,

    /// <summary>A pointer to a key of the helper's map (<c>PTR_TO_MAP_KEY</c>, key-size readable bytes).</summary>
    MapKey,

    /// <summary>A pointer to a value of the helper's map (<c>PTR_TO_MAP_VALUE</c>, value-size bytes, writable unless the map is read-only).</summary>
    MapValue,

    /// <summary>The helper's <see cref="HelperArgument.CallbackContext"/> argument, as the caller passed it (a stack pointer of the caller's frame, or 0).</summary>
    CallbackContext,
}
