using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Bpf.Samples.DebugSession;

/// <summary>
/// The two look-ups a source-level debugger makes in an assembly's portable PDB: from a source
/// line to the method and IL offset of its sequence point (to set a breakpoint), and from a
/// method and IL offset back to a line (to show where a frame is).
/// </summary>
public sealed class SourceLines : IDisposable
{
    private readonly PEReader _assembly;
    private readonly MetadataReaderProvider? _pdbProvider;
    private readonly MetadataReader _metadata;
    private readonly MetadataReader? _pdb;

    /// <summary>Opens an assembly and, when there is one beside it, its portable PDB.</summary>
    public SourceLines(string assemblyPath)
    {
        _assembly = new PEReader(File.OpenRead(assemblyPath));
        _metadata = _assembly.GetMetadataReader();
        string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
        if (File.Exists(pdbPath))
        {
            _pdbProvider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdbPath));
            _pdb = _pdbProvider.GetMetadataReader();
        }
    }

    /// <summary>
    /// The first visible sequence point on <paramref name="line"/> of a document whose path ends
    /// with <paramref name="file"/> (clang records the path it was given, so a debugger matches
    /// by file name), or null when the line has none.
    /// </summary>
    public (int MethodToken, int IlOffset)? Find(string file, int line)
    {
        if (_pdb is null)
            return null;
        foreach (var handle in _pdb.MethodDebugInformation)
        {
            foreach (var point in _pdb.GetMethodDebugInformation(handle).GetSequencePoints())
            {
                if (!point.IsHidden && point.StartLine == line && DocumentMatches(point.Document, file))
                    return (MetadataTokens.GetToken(handle.ToDefinitionHandle()), point.Offset);
            }
        }
        return null;
    }

    /// <summary>"path:line" of the sequence point that covers an IL offset of a method, or null.</summary>
    public string? Line(int methodToken, int ilOffset)
    {
        if (_pdb is null)
            return null;
        var handle = MetadataTokens.MethodDebugInformationHandle(methodToken & 0xffffff);
        SequencePoint? covering = null;
        foreach (var point in _pdb.GetMethodDebugInformation(handle).GetSequencePoints())
        {
            if (point.Offset <= ilOffset)
                covering = point;
        }
        if (covering is not { IsHidden: false } found)
            return null;
        return $"{_pdb.GetString(_pdb.GetDocument(found.Document).Name)}:{found.StartLine}";
    }

    /// <summary>The method's full name: namespace, type (nested types joined by '+') and name.</summary>
    public string MethodName(int methodToken)
    {
        var method = _metadata.GetMethodDefinition(MetadataTokens.MethodDefinitionHandle(methodToken & 0xffffff));
        return $"{TypeName(method.GetDeclaringType())}.{_metadata.GetString(method.Name)}";
    }

    private string TypeName(TypeDefinitionHandle handle)
    {
        var type = _metadata.GetTypeDefinition(handle);
        string name = _metadata.GetString(type.Name);
        var outer = type.GetDeclaringType();
        if (!outer.IsNil)
            return $"{TypeName(outer)}+{name}";
        string space = _metadata.GetString(type.Namespace);
        return space.Length == 0 ? name : $"{space}.{name}";
    }

    private bool DocumentMatches(DocumentHandle document, string file)
    {
        string path = _pdb!.GetString(_pdb.GetDocument(document).Name);
        return path == file || path.EndsWith("/" + file, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _pdbProvider?.Dispose();
        _assembly.Dispose();
    }
}
