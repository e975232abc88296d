namespace Bpf.Cli.CommandLine;

/// <summary>An option a command accepts.</summary>
/// <param name="Name">The long name without dashes (<c>engine</c> for <c>--engine</c>).</param>
/// <param name="ValueName">The placeholder of its value in help (<c>NAME</c>), or null for a flag.</param>
/// <param name="Description">One line for the help text.</param>
/// <param name="ShortName">A one-letter alias (<c>o</c> for <c>-o</c>), or null.</param>
internal sealed record OptionSpec(string Name, string? ValueName, string Description, char? ShortName = null)
{
    /// <summary>True if the option takes a value.</summary>
    public bool TakesValue => ValueName is not null;

    /// <summary>How the help text shows it.</summary>
    public string Display =>
        (ShortName is { } s ? $"-{s}, " : "") + $"--{Name}" + (ValueName is null ? "" : $" {ValueName}");
}
