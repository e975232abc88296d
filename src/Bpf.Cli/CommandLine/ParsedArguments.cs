using System.Globalization;

namespace Bpf.Cli.CommandLine;

/// <summary>A command line split into positional arguments and options, checked against a <see cref="CommandSpec"/>.</summary>
internal sealed class ParsedArguments
{
    private readonly Dictionary<string, string?> _options;

    public ParsedArguments(CommandSpec spec, IReadOnlyList<string> positionals, Dictionary<string, string?> options, bool helpRequested)
    {
        Spec = spec;
        Positionals = positionals;
        _options = options;
        HelpRequested = helpRequested;
    }

    public CommandSpec Spec { get; }

    public IReadOnlyList<string> Positionals { get; }

    /// <summary>True if <c>--help</c> or <c>-h</c> was given.</summary>
    public bool HelpRequested { get; }

    /// <summary>True if the flag or option was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The value of an option, or null when it was not given.</summary>
    public string? Value(string name) => _options.GetValueOrDefault(name);

    /// <summary>The value of an option as a positive 64-bit number, or <paramref name="fallback"/>.</summary>
    public long PositiveNumber(string name, long fallback)
    {
        string? text = Value(name);
        if (text is null)
            return fallback;
        string digits = text.Replace("_", "", StringComparison.Ordinal);
        bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || value <= 0)
            throw new UsageException($"--{name} needs a positive number, not '{text}'", Spec.Name);
        return value;
    }
}
