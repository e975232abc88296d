using System.Text;

namespace Bpf.Cli.CommandLine;

/// <summary>What a command accepts, and its help text.</summary>
/// <param name="Name">The command's name (<c>run</c>).</param>
/// <param name="Summary">One line for the tool's command list.</param>
/// <param name="Usage">The synopsis after <c>bpfjit NAME</c> (<c>FILE [options]</c>).</param>
/// <param name="Description">Paragraphs for the command's help, or empty.</param>
/// <param name="MinPositionals">The fewest positional arguments.</param>
/// <param name="MaxPositionals">The most positional arguments.</param>
/// <param name="Options">The options.</param>
internal sealed record CommandSpec(
    string Name, string Summary, string Usage, string Description, int MinPositionals, int MaxPositionals,
    IReadOnlyList<OptionSpec> Options)
{
    /// <summary>The option with long name <paramref name="name"/> or short name <paramref name="shortName"/>, or null.</summary>
    public OptionSpec? Find(string? name, char? shortName = null) =>
        Options.FirstOrDefault(o => name is not null && o.Name == name || shortName is not null && o.ShortName == shortName);

    /// <summary>The command's help text.</summary>
    public string Help()
    {
        var text = new StringBuilder();
        text.Append("Usage: bpfjit ").Append(Name).Append(' ').AppendLine(Usage).AppendLine();
        text.AppendLine(Summary);
        if (Description.Length > 0)
            text.AppendLine().AppendLine(Description.TrimEnd());
        text.AppendLine().AppendLine("Options:");
        var all = Options.Append(new OptionSpec("help", null, "Show this help.", 'h')).ToList();
        int width = all.Max(o => o.Display.Length) + 2;
        foreach (var option in all)
            text.Append("  ").Append(option.Display.PadRight(width)).AppendLine(option.Description);
        return text.ToString();
    }
}
