using System.Globalization;
using System.Reflection;
using System.Text;
using Bpf.Elf.Btf;
using Bpf.Isa;
using Bpf.Jit;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Aot;
using Bpf.Verification;
using Mono.Cecil;
using Mono.Cecil.Cil;
using FieldAttributes = Mono.Cecil.FieldAttributes;
using MethodAttributes = Mono.Cecil.MethodAttributes;
using PropertyAttributes = Mono.Cecil.PropertyAttributes;
using TypeAttributes = Mono.Cecil.TypeAttributes;

namespace Bpf.Aot;

/// <summary>
/// Writes a BPF object as a .NET assembly: one class (derived from <see cref="PrecompiledObject"/>)
/// with the object file embedded, a static method per planned method of each program (the JIT's
/// lowering through <see cref="Emit.CecilBackEnd"/>), a property per program, map and global
/// variable, and a portable PDB whose sequence points map each program's IL to its C source lines.
/// The assembly references only Bpf.Core and the framework.
/// </summary>
public static class AotAssemblyWriter
{
    /// <summary>Members of the base class and of <see cref="object"/> that generated properties must not hide.</summary>
    private static readonly string[] s_reserved =
        ["Object", "PrecompiledPrograms", "Program", "Dispose", "MapAt", "VariableNamed", "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize", "CreatePrograms", "ObjectFile"];

    /// <summary>Writes the assembly for the object file <paramref name="objectFile"/>.</summary>
    /// <param name="objectFile">The ELF object's bytes.</param>
    /// <param name="objectName">The object's name (its file name without extension).</param>
    /// <param name="options">Names, checked mode, which programs, symbols.</param>
    /// <exception cref="Elf.BpfLoadException">The object does not load.</exception>
    /// <exception cref="AotException">A program named in the options does not exist.</exception>
    /// <exception cref="VerificationException">Without checked mode, the verifier rejects a program.</exception>
    /// <exception cref="UnresolvedReferenceException">A program calls a helper nothing registers.</exception>
    public static AotAssembly WriteObject(byte[] objectFile, string objectName, AotObjectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objectFile);
        ArgumentNullException.ThrowIfNull(objectName);
        options ??= new AotObjectOptions();
        using var obj = BpfObject.Load(objectFile, objectName);
        var programs = SelectPrograms(obj, options.Programs);
        var verdicts = programs.ToDictionary(p => p.Name, p => p.Verify());
        if (!options.Checked && programs.FirstOrDefault(p => !verdicts[p.Name].IsAccepted) is { } rejected)
            throw new VerificationException(rejected.Name, verdicts[rejected.Name].Diagnostics);

        string className = options.ClassName ?? PascalCase(AotNames.Identifier(objectName));
        string assemblyName = options.AssemblyName ?? className;
        var module = AotModules.Create(assemblyName);
        var type = new TypeDefinition(options.Namespace, className, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class | TypeAttributes.BeforeFieldInit,
            module.ImportReference(typeof(PrecompiledObject)));
        module.Types.Add(type);

        // Arena accesses keep their run-time checks even when verified (as BpfProgram.Prepare does):
        // an arena page the program never allocated is not mapped.
        var written = programs
            .Select(p => AotProgramWriter.Write(
                type, p.Image,
                options.Checked || verdicts[p.Name].ArenaAccesses.Count > 0
                    ? new ExecutionOptions { Safety = ProgramSafety.Checked }
                    : new ExecutionOptions { Safety = ProgramSafety.Trusted, Facts = verdicts[p.Name].Facts },
                JitOptions.Default, verdicts[p.Name].IsAccepted, AotNames.Identifier(p.Name) + "_"))
            .ToList();

        var objectBytes = EmbedObject(type, objectFile);
        var createPrograms = WriteCreatePrograms(type, written);
        WriteConstructors(type, objectBytes, objectName, createPrograms);
        var names = new HashSet<string>(s_reserved, StringComparer.Ordinal) { className };
        foreach (var program in programs)
            WriteProgramProperty(type, Unique(names, program.Name, "Program"), program.Name);
        for (int i = 0; i < obj.Maps.Count; i++)
            WriteMapProperty(type, Unique(names, obj.Maps[i].Name, "Map"), i, obj.Maps[i]);
        foreach (var variable in obj.Variables.Values.OrderBy(v => v.Name, StringComparer.Ordinal))
            WriteVariableProperty(type, Unique(names, variable.Name, "Variable"), variable);

        string listingName = objectName + ".bpf.s";
        var listing = new Listing(programs);
        if (options.WriteSymbols)
            AotSymbols.Add(module, written, programs, listing, listingName);

        using var assembly = new MemoryStream();
        using var symbols = new MemoryStream();
        var parameters = options.WriteSymbols
            ? new WriterParameters { WriteSymbols = true, SymbolWriterProvider = new PortablePdbWriterProvider(), SymbolStream = symbols }
            : new WriterParameters();
        module.Assembly.Write(assembly, parameters);
        return new AotAssembly(assembly.ToArray(), options.WriteSymbols ? symbols.ToArray() : null, listing.Text, listingName, type.FullName);
    }

    private static List<BpfProgram> SelectPrograms(BpfObject obj, IReadOnlyList<string>? names)
    {
        if (names is null)
            return obj.ProgramList.ToList();
        return names.Select(name => obj.Programs.GetValueOrDefault(name)
            ?? throw new AotException($"object {obj.Name} has no program called {name} (it has: {string.Join(", ", obj.ProgramList.Select(p => p.Name))})")).ToList();
    }

    private static string PascalCase(string identifier)
    {
        var text = new StringBuilder();
        foreach (string part in identifier.Split('_', StringSplitOptions.RemoveEmptyEntries))
            text.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        return text.Length == 0 || char.IsAsciiDigit(text[0]) ? "_" + text : text.ToString();
    }

    private static string Unique(HashSet<string> names, string name, string suffix)
    {
        string candidate = AotNames.Identifier(name);
        if (names.Contains(candidate))
            candidate += suffix;
        string unique = candidate;
        for (int n = 2; names.Contains(unique); n++)
            unique = candidate + n.ToString(CultureInfo.InvariantCulture);
        names.Add(unique);
        return unique;
    }

    /// <summary>The object file as initialized data of the image: a field whose address makes a span, no copy, no reflection.</summary>
    private static FieldDefinition EmbedObject(TypeDefinition type, byte[] objectFile)
    {
        var module = type.Module;
        var data = new TypeDefinition("", "ObjectFileData", TypeAttributes.NestedPrivate | TypeAttributes.ExplicitLayout | TypeAttributes.Sealed | TypeAttributes.AnsiClass,
            module.ImportReference(typeof(ValueType)))
        {
            ClassSize = objectFile.Length,
            PackingSize = 1,
        };
        type.NestedTypes.Add(data);
        var field = new FieldDefinition("ObjectFile", FieldAttributes.Private | FieldAttributes.Static | FieldAttributes.InitOnly | FieldAttributes.HasFieldRVA, data)
        {
            InitialValue = objectFile,
        };
        type.Fields.Add(field);
        return field;
    }

    private static MethodDefinition WriteCreatePrograms(TypeDefinition type, List<AotProgramWriter> written)
    {
        var module = type.Module;
        var method = new MethodDefinition("CreatePrograms", MethodAttributes.Private | MethodAttributes.Static | MethodAttributes.HideBySig,
            module.ImportReference(typeof(PrecompiledProgram[])));
        type.Methods.Add(method);
        var il = method.Body.GetILProcessor();
        il.Emit(OpCodes.Ldc_I4, written.Count);
        il.Emit(OpCodes.Newarr, module.ImportReference(typeof(PrecompiledProgram)));
        for (int i = 0; i < written.Count; i++)
        {
            il.Emit(OpCodes.Dup);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Call, written[i].Factory);
            il.Emit(OpCodes.Stelem_Ref);
        }

        il.Emit(OpCodes.Ret);
        return method;
    }

    private static void WriteConstructors(TypeDefinition type, FieldDefinition objectFile, string objectName, MethodDefinition createPrograms)
    {
        var module = type.Module;
        const MethodAttributes ctorAttributes = MethodAttributes.Public | MethodAttributes.HideBySig | MethodAttributes.SpecialName | MethodAttributes.RTSpecialName;

        // (ExecutionOptions? options, LoadOptions? loadOptions): load the embedded object, pair its programs with their code.
        var full = new MethodDefinition(".ctor", ctorAttributes, module.TypeSystem.Void);
        full.Parameters.Add(new ParameterDefinition("options", Mono.Cecil.ParameterAttributes.None, module.ImportReference(typeof(ExecutionOptions))));
        full.Parameters.Add(new ParameterDefinition("loadOptions", Mono.Cecil.ParameterAttributes.None, module.ImportReference(typeof(LoadOptions))));
        type.Methods.Add(full);
        var baseCtor = typeof(PrecompiledObject).GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single();
        var spanCtor = typeof(ReadOnlySpan<byte>).GetConstructor([typeof(void*), typeof(int)])!;
        var il = full.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldsflda, objectFile);
        il.Emit(OpCodes.Ldc_I4, objectFile.InitialValue.Length);
        il.Emit(OpCodes.Newobj, module.ImportReference(spanCtor));
        il.Emit(OpCodes.Ldstr, objectName);
        il.Emit(OpCodes.Call, createPrograms);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Call, module.ImportReference(baseCtor));
        il.Emit(OpCodes.Ret);

        // (): the default options.
        var simple = new MethodDefinition(".ctor", ctorAttributes, module.TypeSystem.Void);
        type.Methods.Add(simple);
        il = simple.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldnull);
        il.Emit(OpCodes.Ldnull);
        il.Emit(OpCodes.Call, full);
        il.Emit(OpCodes.Ret);
    }

    private static void WriteProgramProperty(TypeDefinition type, string name, string programName)
    {
        var module = type.Module;
        var getter = Getter(type, name, module.ImportReference(typeof(BpfExecutable)));
        var il = getter.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldstr, programName);
        il.Emit(OpCodes.Call, module.ImportReference(typeof(PrecompiledObject).GetMethod(nameof(PrecompiledObject.Program))!));
        il.Emit(OpCodes.Ret);
    }

    private static void WriteMapProperty(TypeDefinition type, string name, int index, BpfMap map)
    {
        var module = type.Module;
        var mapType = map.GetType().IsPublic ? map.GetType() : typeof(BpfMap);
        var getter = Getter(type, name, module.ImportReference(mapType));
        var il = getter.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4, index);
        il.Emit(OpCodes.Call, module.ImportReference(typeof(PrecompiledObject).GetMethod("MapAt", BindingFlags.NonPublic | BindingFlags.Instance)!));
        if (mapType != typeof(BpfMap))
            il.Emit(OpCodes.Castclass, module.ImportReference(mapType));
        il.Emit(OpCodes.Ret);
    }

    /// <summary>
    /// A variable of 1, 2, 4 or 8 bytes is a property of that unsigned type, read and written in
    /// place (a <c>.rodata</c> one only until the first program is bound); any other is its <see cref="GlobalVariable"/>.
    /// </summary>
    private static void WriteVariableProperty(TypeDefinition type, string name, GlobalVariable variable)
    {
        var module = type.Module;
        var variableNamed = module.ImportReference(typeof(PrecompiledObject).GetMethod("VariableNamed", BindingFlags.NonPublic | BindingFlags.Instance)!);
        Type? scalar = variable.Size switch { 1 => typeof(byte), 2 => typeof(ushort), 4 => typeof(uint), 8 => typeof(ulong), _ => null };
        var getter = Getter(type, name, module.ImportReference(scalar ?? typeof(GlobalVariable)));
        var il = getter.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldstr, variable.Name);
        il.Emit(OpCodes.Call, variableNamed);
        if (scalar is not null)
            il.Emit(OpCodes.Callvirt, module.ImportReference(typeof(GlobalVariable).GetMethod(nameof(GlobalVariable.Get))!.MakeGenericMethod(scalar)));
        il.Emit(OpCodes.Ret);
        if (scalar is null)
            return;

        var setter = new MethodDefinition("set_" + name, MethodAttributes.Public | MethodAttributes.HideBySig | MethodAttributes.SpecialName, module.TypeSystem.Void);
        setter.Parameters.Add(new ParameterDefinition("value", Mono.Cecil.ParameterAttributes.None, module.ImportReference(scalar)));
        type.Methods.Add(setter);
        il = setter.Body.GetILProcessor();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldstr, variable.Name);
        il.Emit(OpCodes.Call, variableNamed);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Callvirt, module.ImportReference(typeof(GlobalVariable).GetMethod(nameof(GlobalVariable.Set))!.MakeGenericMethod(scalar)));
        il.Emit(OpCodes.Ret);
        type.Properties.Single(p => p.Name == name).SetMethod = setter;
    }

    private static MethodDefinition Getter(TypeDefinition type, string name, TypeReference propertyType)
    {
        var getter = new MethodDefinition("get_" + name, MethodAttributes.Public | MethodAttributes.HideBySig | MethodAttributes.SpecialName, propertyType);
        type.Methods.Add(getter);
        type.Properties.Add(new PropertyDefinition(name, PropertyAttributes.None, propertyType) { GetMethod = getter });
        return getter;
    }

    /// <summary>The disassembly of the written programs, one line per instruction, and where each instruction's line is.</summary>
    internal sealed class Listing
    {
        private readonly Dictionary<(string Program, int Pc), int> _lines = new();

        public Listing(IEnumerable<BpfProgram> programs)
        {
            var text = new StringBuilder();
            int line = 1;
            foreach (var program in programs)
            {
                text.Append(CultureInfo.InvariantCulture, $"; program {program.Name} (section {program.SectionName})\n");
                line++;
                var code = program.Code;
                for (int pc = 0; pc < code.Length; pc += code.InfoAt(pc)!.SlotCount)
                {
                    if (code.FunctionStartingAt(pc) is { } function)
                    {
                        text.Append(function.Name).Append(":\n");
                        line++;
                    }

                    text.Append(CultureInfo.InvariantCulture, $"{pc,5}: {Disassembler.Format(code.Instructions, pc)}\n");
                    _lines[(program.Name, pc)] = line++;
                }

                text.Append('\n');
                line++;
            }

            Text = text.ToString();
        }

        public string Text { get; }

        public int LineOf(string program, int pc) => _lines[(program, pc)];
    }
}
