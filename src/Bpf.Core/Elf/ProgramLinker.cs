using Bpf.Elf.Btf;
using Bpf.Isa;

namespace Bpf.Elf;

/// <summary>
/// Links one program: copies its function, appends every function it calls or takes the address of
/// (transitively, each once), and rewrites what relocations refer to, deciding from the instruction
/// and the symbol as libbpf does (not from the relocation type, which old toolchains wrote as 0):
/// <list type="bullet">
/// <item><c>call</c> of a function (src 1): the target moves with the appended copy.</item>
/// <item><c>call</c> of an undefined symbol: a helper by its name (<c>call</c> src 0) or a kfunc (<c>call</c> src 2, an index into the object's kfunc list).</item>
/// <item><c>lddw</c> of a code symbol: a function address (src 4).</item>
/// <item><c>lddw</c> of a map: the map's index (src 5); of global data: the data map's index and the offset (src 6).</item>
/// </list>
/// </summary>
internal sealed class ProgramLinker
{
    private readonly CodeSections _code;
    private readonly Func<ElfSymbol, long, (int Map, long Offset)?> _findMap;
    private readonly Func<string, int> _kfuncIndex;
    private readonly BtfExtension _ext;

    private readonly List<Instruction> _output = [];
    private readonly Dictionary<(int Section, int Start), int> _placed = new();
    private readonly Queue<Piece> _pending = new();
    private readonly Dictionary<int, string> _names = new();
    private readonly List<BtfLineInfo> _lines = [];
    private readonly List<BtfFunctionInfo> _functions = [];

    private ProgramLinker(CodeSections code, Func<ElfSymbol, long, (int Map, long Offset)?> findMap, Func<string, int> kfuncIndex, BtfExtension ext)
    {
        _code = code;
        _findMap = findMap;
        _kfuncIndex = kfuncIndex;
        _ext = ext;
    }

    /// <summary>A function of a code section placed at <see cref="Base"/> of the output.</summary>
    private readonly record struct Piece(CodeSection Section, CodeFunction Function, int Base);

    /// <summary>Links the program whose entry is <paramref name="entry"/> of <paramref name="section"/>.</summary>
    /// <param name="code">Every code section of the object.</param>
    /// <param name="section">The program's section.</param>
    /// <param name="entry">The program's function.</param>
    /// <param name="findMap">The map a symbol (plus addend) refers to: its index and the offset into its value; null when the symbol is not a map or data.</param>
    /// <param name="kfuncIndex">The index of the kfunc an undefined function name resolves to, or -1.</param>
    /// <param name="ext">The object's BTF.ext, for line and function info.</param>
    public static ProgramDescription Link(CodeSections code, CodeSection section, CodeFunction entry,
        Func<ElfSymbol, long, (int Map, long Offset)?> findMap, Func<string, int> kfuncIndex, BtfExtension ext)
    {
        var linker = new ProgramLinker(code, findMap, kfuncIndex, ext);
        linker.Place(section, entry);
        while (linker._pending.TryDequeue(out var piece))
            linker.Relocate(piece);
        return new ProgramDescription
        {
            Name = entry.Name,
            SectionName = section.Name,
            Instructions = [.. linker._output],
            FunctionNames = linker._names,
            Lines = linker._lines,
            Functions = linker._functions,
        };
    }

    /// <summary>Where function <paramref name="function"/> of <paramref name="section"/> is in the output, appending it the first time.</summary>
    private int Place(CodeSection section, CodeFunction function)
    {
        if (_placed.TryGetValue((section.Index, function.Start), out int placedAt))
            return placedAt;
        int at = _output.Count;
        _placed[(section.Index, function.Start)] = at;
        for (int i = function.Start; i < function.End; i++)
            _output.Add(section.Instructions[i]);
        if (_output.Count > Bytecode.MaxInstructions)
            throw new BpfLoadException($"linking program code makes it longer than {Bytecode.MaxInstructions} instructions", section.Name);
        _names[at] = function.Name;
        if (_ext.Lines.TryGetValue(section.Name, out var lines))
        {
            foreach (var line in lines.Where(l => l.Instruction >= function.Start && l.Instruction < function.End))
                _lines.Add(line.At(line.Instruction - function.Start + at));
        }

        if (_ext.Functions.TryGetValue(section.Name, out var functions))
        {
            foreach (var info in functions.Where(f => f.Instruction >= function.Start && f.Instruction < function.End))
                _functions.Add(info with { Instruction = info.Instruction - function.Start + at });
        }

        _pending.Enqueue(new Piece(section, function, at));
        return at;
    }

    private void Relocate(Piece piece)
    {
        var section = piece.Section;
        for (int index = piece.Function.Start; index < piece.Function.End; index++)
        {
            int pc = index - piece.Function.Start + piece.Base;
            var instruction = _output[pc];
            section.Relocations.TryGetValue(index, out var relocation);
            bool isCall = instruction.Opcode == 0x85;
            bool isLoad = instruction.Opcode == 0x18;
            if (isLoad && index + 1 >= piece.Function.End)
                throw new BpfLoadException($"instruction {index}: lddw without its second slot in function {piece.Function.Name}", section.Name);

            if (isCall && relocation is not null)
            {
                RelocateCall(section, index, pc, instruction, relocation);
            }
            else if (isCall && instruction.Src == 1)
            {
                // A call inside the section that needs no relocation: the target is relative.
                long target = index + 1L + instruction.Immediate;
                SetCallTarget(section, index, pc, target, "call");
            }
            else if (isLoad && relocation is not null)
            {
                RelocateLoad(section, index, pc, instruction, relocation);
            }
            else if (isLoad && instruction.Src == (int)LoadImm64Source.Function)
            {
                long target = index + 1L + instruction.Immediate;
                SetFunctionAddress(section, index, pc, target);
            }
            else if (relocation is not null)
            {
                throw new BpfLoadException(
                    $"instruction {index} (opcode 0x{instruction.Opcode:x2}) has a relocation against {relocation.Symbol.Name}, but only calls and lddw can be relocated",
                    relocation.SectionName, relocation.FileOffset);
            }

            if (isLoad)
                index++; // the second slot of lddw is data
        }
    }

    private void RelocateCall(CodeSection section, int index, int pc, Instruction instruction, ElfRelocation relocation)
    {
        var symbol = relocation.Symbol;
        if (!symbol.IsDefined)
        {
            // An extern function: a helper declared by name, or a kfunc (clang writes 'call -1', src 1).
            int helper = LinuxHelpers.IdOf(symbol.Name);
            int kfunc = helper > 0 ? -1 : _kfuncIndex(symbol.Name);
            if (helper > 0)
                _output[pc] = new Instruction(0x85, 0, 0, 0, helper);
            else if (kfunc >= 0)
                _output[pc] = new Instruction(0x85, 0, 2, 0, kfunc);
            else
                throw new BpfLoadException(
                    $"instruction {index} calls {symbol.Name}, which is not defined in the object, not a helper, and not a registered kfunc",
                    section.Name, relocation.FileOffset);
            return;
        }

        if (symbol.Section is not { IsExecutable: true } targetSection)
            throw new BpfLoadException($"instruction {index} calls {symbol.Name}, which is not code", section.Name, relocation.FileOffset);

        // libbpf: the target is the symbol's instruction plus the immediate plus one (clang writes -1 for a function symbol).
        long target = (long)(symbol.Value / 8) + instruction.Immediate + 1 + relocation.Addend / 8;
        SetCallTarget(_code.Get(targetSection.Index), index, pc, target, "call");
    }

    private void SetCallTarget(CodeSection section, int index, int pc, long target, string what)
    {
        var function = section.FunctionAt(target)
            ?? throw new BpfLoadException($"instruction {index}: the {what} target {target} is not the start of a function in {section.Name}", section.Name);
        int placed = Place(section, function) + (int)(target - function.Start);
        _output[pc] = new Instruction(0x85, 0, 1, 0, placed - pc - 1);
    }

    private void SetFunctionAddress(CodeSection section, int index, int pc, long target)
    {
        var function = section.FunctionAt(target)
            ?? throw new BpfLoadException($"instruction {index}: lddw of function address {target}, which is not the start of a function in {section.Name}", section.Name);
        int placed = Place(section, function) + (int)(target - function.Start);
        var old = _output[pc];
        _output[pc] = new Instruction(0x18, old.Dst, (int)LoadImm64Source.Function, 0, placed - pc - 1);
        _output[pc + 1] = new Instruction(0, 0, 0, 0, 0);
    }

    private void RelocateLoad(CodeSection section, int index, int pc, Instruction instruction, ElfRelocation relocation)
    {
        var symbol = relocation.Symbol;
        if (!symbol.IsDefined)
            throw new BpfLoadException($"instruction {index} loads the address of {symbol.Name}, an extern variable (.kconfig/.ksyms), which user space cannot provide", section.Name, relocation.FileOffset);

        // REL keeps the addend in the instruction, RELA in the entry.
        long addend = relocation.HasExplicitAddend ? relocation.Addend : instruction.Immediate;
        if (symbol.Section is { IsExecutable: true } codeSection)
        {
            // A function's address for a callback; clang-14 writes src 0 with the byte offset as the addend.
            long target = ((long)symbol.Value + addend) / 8;
            SetFunctionAddress(_code.Get(codeSection.Index), index, pc, target);
            return;
        }

        var map = _findMap(symbol, addend)
            ?? throw new BpfLoadException($"instruction {index} loads {symbol.Name} (section {symbol.Section?.Name}), which is neither a map nor global data", section.Name, relocation.FileOffset);
        var old = _output[pc];
        bool isData = symbol.Section is { } s && GlobalDataReader.IsDataSection(s) && !MapDefinitionReader.IsLegacySection(s.Name) && s.Name != MapDefinitionReader.BtfMapsSection;
        if (isData)
        {
            _output[pc] = new Instruction(0x18, old.Dst, (int)LoadImm64Source.MapIndexValue, 0, map.Map);
            _output[pc + 1] = new Instruction(0, 0, 0, 0, checked((int)map.Offset));
        }
        else
        {
            _output[pc] = new Instruction(0x18, old.Dst, (int)LoadImm64Source.MapIndex, 0, map.Map);
            _output[pc + 1] = new Instruction(0, 0, 0, 0, 0);
        }
    }
}
