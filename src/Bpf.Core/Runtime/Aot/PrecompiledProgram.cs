using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bpf.Helpers;
using Bpf.Maps;

namespace Bpf.Runtime.Aot;

/// <summary>
/// A program compiled ahead of time: its functions (static methods of an emitted assembly) and its
/// manifest, which records what it was compiled for (a fingerprint of the linked code, program
/// type, maps and kfuncs), whether the code is checked, the verifier's verdict at compile time, and
/// which addresses and calls are bound when the program is bound (<see cref="Bind"/>). Binding
/// does not verify again: it refuses a program that is not the one the code was compiled from.
/// </summary>
public sealed class PrecompiledProgram
{
    /// <summary>The first line of every manifest, with its format version.</summary>
    public const string ManifestHeader = "bpfjit-aot 1";

    private readonly BpfHelperFunction[] _directCalls;

    /// <summary>Creates the program from its manifest and its code (what an emitted assembly does).</summary>
    /// <param name="manifest">The manifest <see cref="WriteManifest"/> wrote.</param>
    /// <param name="functions">The entry of each BPF function, by function index.</param>
    /// <param name="directCalls">
    /// The helpers and kfuncs the code calls directly, in the manifest's order of <c>direct</c>
    /// lines: binding checks that the options still bind those numbers to these functions.
    /// </param>
    /// <exception cref="AotBindingException">The manifest is damaged or does not match the code.</exception>
    public PrecompiledProgram(string manifest, PrecompiledFunction[] functions, BpfHelperFunction[] directCalls)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(functions);
        ArgumentNullException.ThrowIfNull(directCalls);
        Functions = functions;
        _directCalls = directCalls;
        var addresses = new List<BoundAddress>();
        var calls = new List<CallBinding>();
        var direct = new List<CallBinding>();
        string name = "?";
        var lines = manifest.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0 || lines[0] != ManifestHeader)
            throw new AotBindingException(name, $"the manifest does not start with '{ManifestHeader}': it was written by another version");
        foreach (string line in lines.Skip(1))
        {
            string[] words = line.Split(' ', 2);
            string value = words.Length > 1 ? words[1] : "";
            switch (words[0])
            {
                case "name": name = value; break;
                case "type": TypeName = value; break;
                case "fingerprint": Fingerprint = value; break;
                case "checked": Checked = value == "1"; break;
                case "verified": Verified = value == "1"; break;
                case "address": addresses.Add(ParseAddress(name, value)); break;
                case "call": calls.Add(ParseCall(name, value)); break;
                case "direct": direct.Add(ParseCall(name, value)); break;
                default: throw new AotBindingException(name, $"the manifest has an unknown line '{line}'");
            }
        }

        Name = name;
        Addresses = addresses;
        Calls = calls;
        DirectCalls = direct;
        if (direct.Count != directCalls.Length)
            throw new AotBindingException(name, $"the manifest lists {direct.Count} direct calls and the code {directCalls.Length}");
        if (functions.Length == 0)
            throw new AotBindingException(name, "the code has no functions");
    }

    /// <summary>The program's name.</summary>
    public string Name { get; }

    /// <summary>The name of the program type it was compiled for.</summary>
    public string TypeName { get; } = "";

    /// <summary>The fingerprint (<see cref="FingerprintOf"/>) of the program it was compiled from.</summary>
    public string Fingerprint { get; } = "";

    /// <summary>True if the code has the run-time checks of checked mode.</summary>
    public bool Checked { get; }

    /// <summary>True if the verifier accepted the program when it was compiled.</summary>
    public bool Verified { get; }

    /// <summary>The addresses the code looks up, by slot of the <see cref="AotBindingTable"/>.</summary>
    public IReadOnlyList<BoundAddress> Addresses { get; }

    /// <summary>The helpers and kfuncs the code calls through the table, by slot.</summary>
    public IReadOnlyList<CallBinding> Calls { get; }

    /// <summary>The helpers and kfuncs the code calls directly.</summary>
    public IReadOnlyList<CallBinding> DirectCalls { get; }

    /// <summary>The entry of each BPF function, by function index.</summary>
    public PrecompiledFunction[] Functions { get; }

    /// <summary>
    /// Binds the code to <paramref name="image"/> with <paramref name="options"/>: checks that the
    /// image is the program the code was compiled from and that the options' checked mode is the
    /// code's, then looks up every address and call.
    /// </summary>
    /// <param name="image">The program: its code, type, maps and kfuncs.</param>
    /// <param name="options">The options to run with.</param>
    /// <param name="engine">The engine the executable reports (and tail calls prepare their targets on).</param>
    /// <exception cref="AotBindingException">The image or the options do not match the code.</exception>
    public PrecompiledExecutable Bind(ProgramImage image, ExecutionOptions options, IBpfEngine engine)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        if (image.Type.Name != TypeName)
            throw new AotBindingException(Name, $"compiled for program type {TypeName}, and the program is of type {image.Type.Name}");
        string fingerprint = FingerprintOf(image);
        if (fingerprint != Fingerprint)
            throw new AotBindingException(Name, $"the program ({image.Name}) is not the one the code was compiled from: its code, maps or kfuncs differ (fingerprint {fingerprint}, compiled {Fingerprint})");
        if (options.Checked != Checked)
            throw new AotBindingException(Name, Checked
                ? "the code was compiled in checked mode and must run with ExecutionOptions.Checked"
                : "the code was compiled without run-time checks (the verifier accepted it) and must run with ExecutionOptions.Checked false");
        if (image.ExecutableCode.Functions.Count != Functions.Length)
            throw new AotBindingException(Name, $"the code has {Functions.Length} functions and the program {image.ExecutableCode.Functions.Count}");

        for (int i = 0; i < DirectCalls.Count; i++)
        {
            var bound = DirectCalls[i].Resolve(image, options);
            if (bound is null || !bound.Equals(_directCalls[i]))
                throw new AotBindingException(Name, $"the code calls {DirectCalls[i]} directly (a built-in), and the options bind {(bound is null ? "nothing" : "another function")} to it");
        }

        var addresses = Addresses.Select(a => a.Resolve(image)).ToArray();
        var calls = Calls.Select(c => c.Resolve(image, options)
            ?? throw new AotBindingException(Name, $"the code calls {c}, which is not registered")).ToArray();
        return new PrecompiledExecutable(engine, image, options, this, new AotBindingTable(addresses, calls));
    }

    /// <summary>
    /// What a precompiled program must match: a hash of the code engines run (context accesses
    /// translated), the function boundaries, the program type, the maps' kinds and sizes and the
    /// kfuncs' names.
    /// </summary>
    public static string FingerprintOf(ProgramImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var code = image.ExecutableCode;
        var text = new StringBuilder();
        text.Append("type ").Append(image.Type.Name).Append('\n');
        foreach (var function in code.Functions)
            text.Append(CultureInfo.InvariantCulture, $"function {function.Start} {function.End}\n");
        foreach (var map in image.Maps)
            text.Append(CultureInfo.InvariantCulture, $"map {map.Type} {map.KeySize} {map.ValueSize} {map.MaxEntries} {(map is ArrayMap ? "array" : "other")}\n");
        foreach (var kfunc in image.Kfuncs)
            text.Append("kfunc ").Append(kfunc.Name).Append('\n');
        var bytes = code.ToBytes().Concat(Encoding.UTF8.GetBytes(text.ToString())).ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Writes the manifest of a program compiled from <paramref name="image"/>.</summary>
    public static string WriteManifest(
        ProgramImage image,
        bool isChecked,
        bool verified,
        IEnumerable<BoundAddress> addresses,
        IEnumerable<CallBinding> calls,
        IEnumerable<CallBinding> directCalls)
    {
        ArgumentNullException.ThrowIfNull(image);
        var text = new StringBuilder();
        text.Append(ManifestHeader).Append('\n');
        text.Append("name ").Append(image.Name).Append('\n');
        text.Append("type ").Append(image.Type.Name).Append('\n');
        text.Append("fingerprint ").Append(FingerprintOf(image)).Append('\n');
        text.Append("checked ").Append(isChecked ? '1' : '0').Append('\n');
        text.Append("verified ").Append(verified ? '1' : '0').Append('\n');
        foreach (var address in addresses)
            text.Append("address ").Append(address).Append('\n');
        foreach (var call in calls)
            text.Append("call ").Append(call).Append('\n');
        foreach (var call in directCalls)
            text.Append("direct ").Append(call).Append('\n');
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({TypeName}, {(Checked ? "checked" : "unchecked")}, {Functions.Length} functions)";

    private static BoundAddress ParseAddress(string program, string text)
    {
        string[] words = text.Split(' ');
        if (words.Length != 3 || !Enum.TryParse<BoundAddressKind>(words[0], out var kind)
            || !int.TryParse(words[1], CultureInfo.InvariantCulture, out int map) || !int.TryParse(words[2], CultureInfo.InvariantCulture, out int offset))
        {
            throw new AotBindingException(program, $"the manifest has a damaged address '{text}'");
        }

        return new BoundAddress(kind, map, offset);
    }

    private static CallBinding ParseCall(string program, string text)
    {
        string[] words = text.Split(' ');
        if (words.Length != 2 || words[0] is not ("helper" or "kfunc") || !int.TryParse(words[1], CultureInfo.InvariantCulture, out int number))
            throw new AotBindingException(program, $"the manifest has a damaged call '{text}'");
        return new CallBinding(words[0] == "kfunc", number);
    }
}
