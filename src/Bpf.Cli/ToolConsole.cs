namespace Bpf.Cli;

/// <summary>The streams a command reads and writes, so the tool can run in-process under tests.</summary>
/// <param name="In">Standard input.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
internal sealed record ToolConsole(TextReader In, TextWriter Out, TextWriter Error);
