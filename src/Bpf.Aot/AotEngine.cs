using System.Reflection;
using System.Runtime.Loader;
using Bpf.Jit;
using Bpf.Runtime;
using Bpf.Runtime.Aot;
using Mono.Cecil;
using TypeAttributes = Mono.Cecil.TypeAttributes;

namespace Bpf.Aot;

/// <summary>
/// Ahead-of-time compilation as an engine, so that every engine-driven test runs the code
/// <c>bpfjit aot</c> writes: a program is written to an assembly in memory (the same lowering as
/// the JIT, through the Cecil back end), loaded into a collectible load context, and bound to the
/// image's maps and helpers as a saved assembly would be.
/// </summary>
public sealed class AotEngine : IBpfEngine
{
    /// <summary>The engine's name as the tools spell it.</summary>
    public const string EngineName = "aot";

    /// <summary>The namespace of the classes the engine writes.</summary>
    internal const string Namespace = "BpfAot";

    /// <summary>Creates the engine with the lowering's options (most callers use <see cref="Instance"/>).</summary>
    public AotEngine(JitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The engine with the default options.</summary>
    public static AotEngine Instance { get; } = new(JitOptions.Default);

    /// <summary>The lowering's options.</summary>
    public JitOptions Options { get; }

    /// <inheritdoc/>
    public string Name => EngineName;

    /// <inheritdoc/>
    public BpfExecutable Prepare(ProgramImage image, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = Write(image, options, out string typeName, out string factoryName);
        var context = new AssemblyLoadContext($"bpfjit aot {image.Name}", isCollectible: true);
        var assembly = context.LoadFromStream(new MemoryStream(bytes));
        var factory = assembly.GetType(typeName, throwOnError: true)!.GetMethod(factoryName, BindingFlags.Public | BindingFlags.Static)!;
        var program = (PrecompiledProgram)factory.Invoke(null, null)!;
        return program.Bind(image, options, this);
    }

    /// <summary>Writes the assembly for one program: a static class with its methods and its factory.</summary>
    internal byte[] Write(ProgramImage image, ExecutionOptions options, out string typeName, out string factoryName)
    {
        var module = AotModules.Create("bpfjit.aot." + AotNames.Identifier(image.Name));
        var type = new TypeDefinition(Namespace, AotNames.Identifier(image.Name),
            TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class | TypeAttributes.BeforeFieldInit,
            module.ImportReference(typeof(object)));
        module.Types.Add(type);
        var written = AotProgramWriter.Write(type, image, options, Options, verified: false, methodPrefix: "");
        using var stream = new MemoryStream();
        module.Assembly.Write(stream);
        typeName = type.FullName;
        factoryName = written.Factory.Name;
        return stream.ToArray();
    }
}
