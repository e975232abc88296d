using Bpf.Aot;
using Mono.Cecil;

namespace Bpf.Tests.Aot;

/// <summary>
/// What makes a written assembly behave like the JIT's code on CoreCLR, and consumable by the C#
/// compiler and ILC like any library: optimized program methods, public signatures that name only
/// Bpf.Core types and primitives.
/// </summary>
public class AotAssemblyShapeTests
{
    private static readonly string[] s_samples = ["config", "loops", "tail_calls", "ringbuf_events", "lpm_router", "xdp_counter", "arena"];

    private static ModuleDefinition Written(string sample) =>
        ModuleDefinition.ReadModule(new MemoryStream(AotAssemblyWriter.WriteObject(File.ReadAllBytes(RepositoryFiles.SampleObject(sample)), sample).Assembly));

    /// <summary>The program's methods are those that take the invocation (functions, split drivers and regions).</summary>
    private static bool IsProgramMethod(MethodDefinition method) =>
        method.IsStatic && method.Parameters.Count > 0 && method.Parameters[^1].ParameterType.FullName == "Bpf.Runtime.Invocation";

    [Test]
    public void ProgramMethodsAreOptimizedAtTheirFirstCallAndNothingElseIs()
    {
        foreach (string sample in s_samples)
        {
            using var module = Written(sample);
            var methods = module.Types.SelectMany(t => t.Methods).ToList();
            var program = methods.Where(IsProgramMethod).ToList();
            Assert.That(program, Is.Not.Empty, sample);
            Assert.That(program.Where(m => !m.AggressiveOptimization).Select(m => m.Name), Is.Empty, $"{sample}: program methods compiled at Tier0 first");
            Assert.That(methods.Except(program).Where(m => m.AggressiveOptimization).Select(m => m.Name), Is.Empty, $"{sample}: glue (constructors, factories, properties) tiers normally");
        }
    }

    [Test]
    public void SplitRegionMethodsAreOptimizedToo()
    {
        // loops.c's bpf_loop callback and its split regions: long R(ref RegisterFile, int, Invocation).
        using var module = Written("loops");
        var regions = module.Types.SelectMany(t => t.Methods).Where(m => IsProgramMethod(m) && m.ReturnType.FullName == "System.Int64").ToList();
        Assert.That(regions.All(m => m.AggressiveOptimization), Is.True, string.Join(", ", regions.Select(m => m.Name)));
    }

    [Test]
    public void PublicSignaturesNameNoImplementationAssembly()
    {
        // The C# compiler resolves the types of the members a consumer uses against reference
        // assemblies, where System.Private.CoreLib does not exist (CS0012): public members must
        // name only Bpf.Core types and primitives (element types, no assembly at all).
        foreach (string sample in s_samples)
        {
            using var module = Written(sample);
            foreach (var type in module.Types.Where(t => t.IsPublic))
            {
                var named = new List<TypeReference> { type.BaseType };
                foreach (var method in type.Methods.Where(m => m.IsPublic || m.IsFamily))
                {
                    named.Add(method.ReturnType);
                    named.AddRange(method.Parameters.Select(p => p.ParameterType));
                }

                named.AddRange(type.Properties.Select(p => p.PropertyType));
                var scopes = named.Select(ElementOf).Where(t => !t.IsPrimitive && t.MetadataType != MetadataType.Void)
                    .Select(t => $"{t.FullName} from {t.Scope.Name}").Distinct().ToList();
                Assert.That(scopes.Where(s => !s.EndsWith(" from Bpf.Core", StringComparison.Ordinal)), Is.Empty, $"{sample}: {string.Join(", ", scopes)}");
            }
        }
    }

    [Test]
    public void ThePublicShapeCheckSeesFrameworkTypes()
    {
        // The check above must be able to fail: a method whose signature names a framework type
        // (written the way the writer imports types) shows System.Private.CoreLib as its scope.
        using var module = Written("xdp_counter");
        var type = module.Types.Single(t => t.IsPublic);
        var probe = new MethodDefinition("Probe", MethodAttributes.Public | MethodAttributes.Static, module.ImportReference(typeof(ReadOnlyMemory<byte>)));
        Assert.That(ElementOf(probe.ReturnType).Scope.Name, Is.EqualTo("System.Private.CoreLib"));
        Assert.That(type.BaseType.Scope.Name, Is.EqualTo("Bpf.Core"));
    }

    private static TypeReference ElementOf(TypeReference type) => type switch
    {
        TypeSpecification specification => ElementOf(specification.ElementType),
        { DeclaringType: { } declaring } => ElementOf(declaring),
        _ => type,
    };
}
