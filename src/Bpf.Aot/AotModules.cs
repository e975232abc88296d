using Mono.Cecil;

namespace Bpf.Aot;

/// <summary>Creates the assemblies the AOT back end writes.</summary>
internal static class AotModules
{
    /// <summary>
    /// A new library assembly called <paramref name="name"/>. Its core library is the one this
    /// process runs on (System.Private.CoreLib, as the framework's own types resolve to it), so
    /// that every framework member the lowering uses imports from one place.
    /// </summary>
    public static ModuleDefinition Create(string name)
    {
        var assembly = AssemblyDefinition.CreateAssembly(new AssemblyNameDefinition(name, new Version(1, 0, 0, 0)), name, ModuleKind.Dll);
        var module = assembly.MainModule;
        module.ImportReference(typeof(object));
        return module;
    }
}
