namespace Bpf.Cli.CommandLine;

/// <summary>
/// Splits a command's arguments into options and positional arguments. Options are
/// <c>--name</c>, <c>--name VALUE</c>, <c>--name=VALUE</c> and <c>-x [VALUE]</c>; <c>--</c> ends
/// the options; a lone <c>-</c> is positional (standard input or output where a command allows it).
/// </summary>
internal static class ArgumentParser
{
    /// <exception cref="UsageException">An unknown option, a missing value, or the wrong number of positional arguments.</exception>
    public static ParsedArguments Parse(CommandSpec spec, IReadOnlyList<string> args)
    {
        var positionals = new List<string>();
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        bool help = false;
        bool optionsEnded = false;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-')
            {
                positionals.Add(arg);
                continue;
            }

            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }

            string name;
            string? inlineValue = null;
            OptionSpec? option;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[2..];
                int equals = name.IndexOf('=', StringComparison.Ordinal);
                if (equals >= 0)
                {
                    inlineValue = name[(equals + 1)..];
                    name = name[..equals];
                }

                if (name == "help")
                {
                    help = true;
                    continue;
                }

                option = spec.Find(name);
            }
            else
            {
                if (arg.Length != 2)
                    throw new UsageException($"unknown option '{arg}' (short options are one letter; long ones start with --)", spec.Name);
                if (arg[1] == 'h')
                {
                    help = true;
                    continue;
                }

                name = arg;
                option = spec.Find(null, arg[1]);
            }

            if (option is null)
                throw new UsageException($"unknown option '{arg}' for 'bpfjit {spec.Name}'", spec.Name);
            if (options.ContainsKey(option.Name))
                throw new UsageException($"--{option.Name} is given twice", spec.Name);

            if (!option.TakesValue)
            {
                if (inlineValue is not null)
                    throw new UsageException($"--{option.Name} takes no value", spec.Name);
                options[option.Name] = null;
                continue;
            }

            if (inlineValue is null)
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"--{option.Name} needs a value ({option.ValueName})", spec.Name);
                inlineValue = args[++i];
            }

            options[option.Name] = inlineValue;
        }

        if (!help)
        {
            if (positionals.Count < spec.MinPositionals)
                throw new UsageException($"'bpfjit {spec.Name}' needs {Describe(spec)}: bpfjit {spec.Name} {spec.Usage}", spec.Name);
            if (positionals.Count > spec.MaxPositionals)
                throw new UsageException($"'bpfjit {spec.Name}' takes {Describe(spec)}, but got {positionals.Count}: unexpected '{positionals[spec.MaxPositionals]}'", spec.Name);
        }

        return new ParsedArguments(spec, positionals, options, help);
    }

    private static string Describe(CommandSpec spec)
    {
        int min = spec.MinPositionals, max = spec.MaxPositionals;
        if (max == 0)
            return "no arguments";
        if (min == max)
            return min == 1 ? "one argument" : $"{min} arguments";
        if (max == int.MaxValue)
            return min == 1 ? "at least one argument" : $"at least {min} arguments";
        return min == 0 ? (max == 1 ? "at most one argument" : $"at most {max} arguments") : $"{min} to {max} arguments";
    }
}
