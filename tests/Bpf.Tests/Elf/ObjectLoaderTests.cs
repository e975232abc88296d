using System.Buffers.Binary;
using Bpf.Elf;
using Bpf.Elf.Btf;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Tests.Runtime;

namespace Bpf.Tests.Elf;

/// <summary>
/// The loader on objects built from C by clang-14 (tests/Bpf.Tests/Elf/Objects): linking of
/// subprograms, legacy maps, global data, extern functions, CO-RE, license and version, line info,
/// each program run on every engine with results computed here from the C source's meaning.
/// </summary>
[TestFixtureSource(typeof(Engines), nameof(Engines.Names))]
public class ObjectLoaderTests(string engineName)
{
    private readonly IBpfEngine _engine = Engines.Get(engineName);

    private static BpfObject Load(string name, LoadOptions? options = null) => BpfObject.Load(RepositoryFiles.TestObject(name), options);

    private ulong Run(BpfProgram program, byte[] memory) => program.Prepare(_engine).Run(memory);

    [TestCase(3, 4, 25)]
    [TestCase(0, 0, 0)]
    [TestCase(255, 255, 130050)]
    public void SubprogramsAreLinkedIntoEachProgramThatCallsThem(int a, int b, int expected)
    {
        using var obj = Load("subprograms");
        var pythagoras = obj.Programs["pythagoras"];
        Assert.That((int)Run(pythagoras, [(byte)a, (byte)b]), Is.EqualTo(expected));
        Assert.That((int)Run(obj.Programs["cube_plus_ten"], [(byte)a]), Is.EqualTo(a * a * a + 10));

        // pythagoras links sum_of_squares, square and add3; each function exactly once.
        Assert.That(pythagoras.Code.Functions.Select(f => f.Name), Is.EquivalentTo(new[] { "pythagoras", "sum_of_squares", "square", "add3" }));
        Assert.That(obj.Programs["cube_plus_ten"].Code.Functions.Select(f => f.Name), Is.EquivalentTo(new[] { "cube_plus_ten", "square", "add3" }));
    }

    [Test]
    public void SubprogramsKeepTheirSourceLines()
    {
        using var obj = Load("subprograms");
        var program = obj.Programs["pythagoras"];
        var square = program.Code.Functions.Single(f => f.Name == "square");
        var lines = program.Lines.Where(l => l.Instruction >= square.Start && l.Instruction < square.End).ToList();
        var body = lines.FirstOrDefault(l => l.SourceText.Contains("x * x", StringComparison.Ordinal));
        Assert.That(body, Is.Not.Null, "square's lines moved with it: " + string.Join("; ", lines));
        Assert.That(body!.Location, Is.EqualTo("subprograms.c:" + SourceLineOf("subprograms.c", "return x * x;")));
        Assert.That(program.LineOf(body.Instruction), Is.EqualTo(body));
    }

    [Test]
    public void RelaRelocationsWithExplicitAddendsLinkTheSame()
    {
        var globals = RelaObjects.Convert(File.ReadAllBytes(RepositoryFiles.TestObject("globals")));
        Assert.That(ElfFile.Parse(globals).Sections.Count(s => s.Type == ElfSectionType.RelocationsWithAddends), Is.GreaterThan(0));
        Assert.That(ElfFile.Parse(globals).Sections.Any(s => s.Type == ElfSectionType.Relocations), Is.False);
        using (var obj = BpfObject.Load(globals))
        {
            Assert.That((int)Run(obj.Programs["accumulate"], [2]), Is.EqualTo(100 + 30 * 3));
            Assert.That(obj.Variable("custom_counter").Get<ulong>(), Is.EqualTo(5 + 7));
            // The static 'calls' is reached through .bss + 8: the 8 now lives in the RELA addend.
            Assert.That(obj.Variable("calls").Get<uint>(), Is.EqualTo(2));
            Assert.That(obj.Variable("runs").Get<ulong>(), Is.EqualTo(1));
        }

        using var calls = BpfObject.Load(RelaObjects.Convert(File.ReadAllBytes(RepositoryFiles.TestObject("subprograms"))));
        Assert.That((int)Run(calls.Programs["pythagoras"], [3, 4]), Is.EqualTo(25));
    }

    [Test]
    public void ASectionWithoutFunctionSymbolsIsOneProgram()
    {
        using var obj = Load("anonymous");
        var program = obj.ProgramList.Single();
        Assert.That(program.Name, Is.EqualTo("socket"));
        Assert.That(program.Type.Kind, Is.EqualTo(BpfProgramKind.SocketFilter));
        Assert.That(program.Code.Length, Is.EqualTo(2));
    }

    [Test]
    public void LicenseAndVersionAreRead()
    {
        using var obj = Load("subprograms");
        Assert.That(obj.License, Is.EqualTo("GPL"));
        Assert.That(obj.KernelVersion, Is.EqualTo(0x060100u));
        using var noVersion = Load("globals");
        Assert.That(noVersion.KernelVersion, Is.Null);
    }

    [Test]
    public void LegacyMapDefinitionsOfBothSizesAreRead()
    {
        var file = BpfObjectFile.Read(File.ReadAllBytes(RepositoryFiles.TestObject("legacy_maps")), "legacy_maps", _ => false);
        var maps = file.Maps.ToDictionary(m => m.Name, m => m.Definition);
        Assert.That(maps["counters"], Is.EqualTo(new BpfMapDefinition { Name = "counters", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 }));
        Assert.That(maps["flows"], Is.EqualTo(new BpfMapDefinition
            { Name = "flows", Type = BpfMapType.Hash, KeySize = 8, ValueSize = 16, MaxEntries = 1024, Flags = BpfMapFlags.NoPrealloc }));
        Assert.That(maps["tc_stats"], Is.EqualTo(new BpfMapDefinition { Name = "tc_stats", Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 2, Pinning = 2 }));
        Assert.That(file.Maps.All(m => m.Origin == MapOrigin.Legacy));
    }

    [Test]
    public void ProgramsUseLegacyMaps()
    {
        using var obj = Load("legacy_maps");
        var program = obj.Programs["count"];
        foreach (int length in new[] { 5, 9, 6, 13 })
            Assert.That((int)Run(program, new byte[length]), Is.EqualTo(length & 3));
        var counters = obj.Map("counters");
        var value = new byte[8];
        Assert.That(counters.TryLookup(BitConverter.GetBytes(1u), value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(3), "lengths 5, 9 and 13");
        Assert.That(counters.TryLookup(BitConverter.GetBytes(2u), value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(1));
        var stat = new byte[4];
        Assert.That(obj.Map("tc_stats").TryLookup(BitConverter.GetBytes(1u), stat) ? BitConverter.ToUInt32(stat) : 0, Is.EqualTo(13));
    }

    [Test]
    public void MapInMapSlotsAreFilledFromTheObject()
    {
        using var obj = Load("map_in_map");
        Assert.That(obj.Map("by_index").Definition.InnerMap, Is.EqualTo(obj.Map("first").Definition with { Name = "by_index.inner" }));
        var program = obj.Programs["count_in_inner"];
        Assert.That((int)Run(program, [0, 1]), Is.EqualTo(1), "by_index[0] = first");
        Assert.That((int)Run(program, [1, 1]), Is.EqualTo(0), "by_index[1] is empty");
        Assert.That((int)Run(program, [2, 3]), Is.EqualTo(1), "by_index[2] = second");
        Assert.That((int)Run(program, [5, 3]), Is.EqualTo(1), "by_key[5] = second");
        Assert.That((int)Run(program, [6, 3]), Is.EqualTo(0), "by_key has no key 6");
        var value = new byte[8];
        Assert.That(obj.Map("first").TryLookup(BitConverter.GetBytes(1u), value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(1));
        Assert.That(obj.Map("second").TryLookup(BitConverter.GetBytes(3u), value) ? BitConverter.ToUInt64(value) : 0, Is.EqualTo(2));
    }

    [Test]
    public void ProgramArraySlotsAreFilledFromTheObject()
    {
        using var obj = BpfObject.Load(RepositoryFiles.SampleObject("tail_calls"));
        var programs = (ProgramArrayMap)obj.Map("handlers");
        Assert.That(Enumerable.Range(0, 3).Select(i => programs.TailCallTarget((ulong)i)?.Name),
            Is.EqualTo(new[] { "handle_ipv4", "handle_ipv6", "handle_arp" }));
    }

    [Test]
    public void GlobalDataSectionsBecomeMapsAndVariables()
    {
        using var obj = Load("globals");
        Assert.That(obj.Maps.Where(m => m.Name.StartsWith('.')).Select(m => m.Name),
            Is.EquivalentTo(new[] { ".rodata", ".data", ".bss", ".data.counters", ".rodata.limits" }));
        Assert.That(obj.Variable("multiplier").Get<ulong>(), Is.EqualTo(3));
        Assert.That(obj.Variable("total").Get<ulong>(), Is.EqualTo(100));
        Assert.That(obj.Variable("custom_limit").Section, Is.EqualTo(".rodata.limits"));
        Assert.That(obj.Variable("calls").IsStatic, Is.True);
        Assert.That(obj.Map(".rodata").Flags, Is.EqualTo(BpfMapFlags.ReadOnlyProgram));
        Assert.That(obj.Map(".data").Flags, Is.EqualTo(BpfMapFlags.None));
    }

    [Test]
    public void ProgramsReadAndWriteGlobalsAndTheHostSeesThem()
    {
        using var obj = Load("globals");
        var program = obj.Programs["accumulate"];
        obj.Variable("multiplier").Set(5UL); // configuration before the first preparation
        Assert.That((int)Run(program, [2]), Is.EqualTo(100 + 30 * 5));
        Assert.That((int)Run(program, [7]), Is.EqualTo(100 + 30 * 5 + 40 * 5));
        Assert.That(obj.Variable("runs").Get<ulong>(), Is.EqualTo(2));
        Assert.That(obj.Variable("calls").Get<uint>(), Is.EqualTo(4));
        Assert.That(obj.Variable("custom_counter").Get<ulong>(), Is.EqualTo(5 + 7 + 7));
    }

    [Test]
    public void ReadOnlyDataIsFrozenWhenTheFirstProgramIsPrepared()
    {
        using var obj = Load("globals");
        var multiplier = obj.Variable("multiplier");
        Assert.That(multiplier.IsReadOnly, Is.False);
        obj.Programs["accumulate"].Prepare(_engine);
        Assert.That(multiplier.IsReadOnly, Is.True);
        Assert.Throws<InvalidOperationException>(() => multiplier.Set(9UL));
        Assert.DoesNotThrow(() => obj.Variable("total").Set(1UL), ".data stays writable");
        Assert.Throws<InvalidOperationException>(() => obj.Programs["accumulate"].Type = ProgramType.RawMemory, "the type is fixed once prepared");
    }

    [Test]
    public void ProgramsCannotWriteReadOnlyData()
    {
        // A program that stores into .rodata (lddw of its value, then a store) traps in checked mode.
        using var obj = Load("globals");
        var rodata = (ArrayMap)obj.Map(".rodata");
        var code = Assembler.Assemble("lddw %r1, map_idx_value(0+0)\nstdw [%r1+0], 1\nmov %r0, 0\nexit");
        var image = new ProgramImage(code, [rodata]);
        Assert.Throws<BpfRuntimeException>(() => _engine.Prepare(image, ExecutionOptions.Default).Run([]));
    }

    [Test]
    public void HelpersDeclaredByNameResolveToTheirNumbers()
    {
        var file = BpfObjectFile.Read(File.ReadAllBytes(RepositoryFiles.TestObject("externs")), "externs", name => name.StartsWith("mem", StringComparison.Ordinal));
        var code = file.Programs.Single().Instructions;
        Assert.That(code.Any(i => i.Opcode == 0x85 && i.Src == 0 && i.Immediate == (int)LinuxHelper.GetPrandomU32), Is.True);
        Assert.That(file.Kfuncs, Is.EquivalentTo(new[] { "memset", "memcpy", "memmove", "memcmp" }));
        Assert.That(code.Count(i => i.Opcode == 0x85 && i.Src == 2), Is.EqualTo(4));
    }

    [Test]
    public void MemFunctionsRunAsBuiltInKfuncs()
    {
        using var obj = Load("externs");
        var data = Enumerable.Range(1, 21).Select(i => (byte)i).ToArray(); // 21 bytes: n = 21 & 15 = 5
        var expected = (byte[])data.Clone();
        Array.Copy(data, 0, expected, 1, 5); // memmove(data + 1, data, 5)
        var memory = (byte[])data.Clone();
        // memcmp(buffer, data + 1, 5) == 0, and buffer[15] is still memset's 0xaa.
        Assert.That((int)obj.Programs["copy_and_compare"].Prepare(_engine).Run(memory), Is.EqualTo(1000 + 0xaa));
        Assert.That(memory, Is.EqualTo(expected), "memmove moved the first five bytes up by one");
    }

    [Test]
    public void UnknownExternFunctionsFailTheLoadWithTheirName()
    {
        var error = Assert.Throws<BpfLoadException>(() =>
            BpfObjectFile.Read(File.ReadAllBytes(RepositoryFiles.TestObject("externs")), "externs", _ => false));
        Assert.That(error!.Message, Does.Contain("memset").And.Contain("not a registered kfunc"));
    }

    [Test]
    public void CoreRelocationsAgainstTheObjectsOwnBtf()
    {
        using var obj = Load("core");
        var memory = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan(20), 7); // nested.inner_b at offset 20
        Assert.That((int)Run(obj.Programs["read_fields"], memory), Is.EqualTo(7 + 1 * 1000 + 24 * 10000 + 300 * 1_000_000 + 8 * 100));
    }

    [Test]
    public void CoreRelocationsAgainstAHostLayout()
    {
        var target = ElfFile.Parse(File.ReadAllBytes(RepositoryFiles.TestObject("core_target"))).GetSection(".BTF");
        using var obj = Load("core", new LoadOptions { CoreTarget = BtfData.Parse(target.Data.Span) });
        var memory = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan(8), 9); // the target's nested.inner_b is at offset 8
        // 'flags' does not exist in the target, the structure is 32 bytes, BLUE is 42.
        Assert.That((int)Run(obj.Programs["read_fields"], memory), Is.EqualTo(9 + 0 * 1000 + 32 * 10000 + 42 * 1_000_000 + 8 * 100));
    }

    [Test]
    public void EveryTestSourceHasItsObject()
    {
        foreach (var source in Directory.GetFiles(RepositoryFiles.TestObjects, "*.c").Concat(Directory.GetFiles(RepositoryFiles.TestObjects, "*.s")))
            Assert.That(File.Exists(Path.ChangeExtension(source, ".o")), $"{source} has no object: run tests/Bpf.Tests/Elf/Objects/build.sh");
    }

    /// <summary>The 1-based line of the first line of a test source containing <paramref name="text"/>.</summary>
    private static int SourceLineOf(string file, string text) =>
        Array.FindIndex(File.ReadAllLines(Path.Combine(RepositoryFiles.TestObjects, file)), l => l.Contains(text, StringComparison.Ordinal)) + 1;
}
