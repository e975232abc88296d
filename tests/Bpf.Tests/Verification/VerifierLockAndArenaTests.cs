using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Tests.Kernel;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// Spin locks, arenas, syscall programs and kfuncs by prototype: the C programs of
/// verifier_locks.c and verifier_arena.c get the kernel's verdict (asked through libbpf when the
/// kernel is available) with diagnostics that name the line marked UNSAFE, and host kfuncs are
/// checked against the prototypes hosts give them.
/// </summary>
public class VerifierLockAndArenaTests
{
    private static readonly object[] s_cases =
    [
        new object?[] { "verifier_locks", "safe_lock", null },
        new object?[] { "verifier_locks", "static_call_locked", null },
        new object?[] { "verifier_locks", "lock_in_function", null },
        new object?[] { "verifier_locks", "iterator_locked", null },
        new object?[] { "verifier_locks", "nested_lock", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "missing_unlock", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "helper_locked", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "unlock_unlocked", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "unlock_other", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "read_lock_word", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "lock_without_lock", DiagnosticCode.SpinLock },
        new object?[] { "verifier_locks", "lock_wrong_field", DiagnosticCode.SpinLock },
        new object?[] { "verifier_arena", "arena_safe", null },
        new object?[] { "verifier_arena", "arena_index", null },
        new object?[] { "verifier_arena", "arena_atomic", null },
        new object?[] { "verifier_arena", "arena_number", DiagnosticCode.NotAPointer },
        new object?[] { "verifier_arena", "arena_in_xdp", DiagnosticCode.UnknownHelper },
        new object?[] { "verifier_arena", "arena_fetch_or", DiagnosticCode.Arena },
        new object?[] { "verifier_arena", "arena_to_helper", DiagnosticCode.InvalidHelperArgument },
        new object?[] { "verifier_arena", "arena_or_value", DiagnosticCode.Arena },
        new object?[] { "verifier_arena", "syscall_arguments", null },
        new object?[] { "verifier_arena", "syscall_variable_argument", DiagnosticCode.InvalidContextAccess },
    ];

    private static VerificationResult Verify(BpfProgram program, VerifierPolicy policy = VerifierPolicy.Strict) =>
        ProgramVerifier.Verify(program.Code, VerifierOptions.For(program) with { Policy = policy });

    [TestCaseSource(nameof(s_cases))]
    public void VerdictsNameTheSourceLine(string objectName, string program, DiagnosticCode? expected)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject(objectName));
        var result = Verify(obj.Programs[program]);
        if (expected is null)
        {
            Assert.That(result.Diagnostics, Is.Empty);
            return;
        }

        var diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.Code, Is.EqualTo(expected), diagnostic.ToString());
        Assert.That(diagnostic.ToString(), Does.Contain($"{objectName}.c:{UnsafeLineOf(objectName, program)}"), diagnostic.ToString());
    }

    [TestCaseSource(nameof(s_cases))]
    public void VerdictsAgreeWithTheKernel(string objectName, string program, DiagnosticCode? expected)
    {
        string path = RepositoryFiles.TestObject(objectName);
        var kernel = KernelObject.Accepts(path, program, out string whyNot) ?? throw new IgnoreException(whyNot);
        Assert.That(expected is null, Is.EqualTo(kernel), kernel ? "the kernel accepts it" : "the kernel rejects it");
        using var obj = BpfObject.Load(path);
        // The kernel loads as root: the comparison is with the privileged policy.
        Assert.That(Verify(obj.Programs[program], VerifierPolicy.Privileged).IsAccepted, Is.EqualTo(kernel));
    }

    [Test]
    public void TheLoaderFindsTheSpinLockInTheValueType()
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_locks"));
        Assert.That(obj.Map("counters").Definition.SpinLockOffset, Is.EqualTo(8));
        Assert.That(obj.Map("plains").Definition.SpinLockOffset, Is.EqualTo(-1));
    }

    [TestCase("interpreter")]
    [TestCase("jit")]
    public void ArenaAccessesOutsideTheAllocatedPagesStopTheRunInsteadOfFaulting(string engine)
    {
        // arena_safe stores 40000 bytes past its page, which Linux allows (the fault is absorbed);
        // here the program keeps run-time checks for its arena accesses even when asked to run
        // unchecked, so the store stops the run cleanly.
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_arena"));
        var program = obj.Programs["arena_safe"];
        Assert.That(program.Verify().ArenaAccesses, Is.Not.Empty);
        var run = program.Prepare(Runtime.Engines.Get(engine), ExecutionOptions.Default with { Checked = false });
        Assert.That(run.Options.Checked, Is.True);
        var error = Assert.Throws<BpfRuntimeException>(() => SyscallContext.Run(run, new byte[8]));
        Assert.That(error!.Message, Does.Contain("out-of-bounds store"));
    }

    [TestCase("interpreter")]
    [TestCase("jit")]
    public void SyscallProgramsReadAndWriteTheirArguments(string engine)
    {
        using var obj = BpfObject.Load(RepositoryFiles.TestObject("verifier_arena"));
        var run = obj.Programs["syscall_arguments"].Prepare(Runtime.Engines.Get(engine), ExecutionOptions.Default with { Checked = false });
        var arguments = new byte[8];
        BitConverter.TryWriteBytes(arguments, 21u);
        Assert.That(SyscallContext.Run(run, arguments), Is.Zero);
        Assert.That(BitConverter.ToUInt32(arguments, 4), Is.EqualTo(42u));
    }

    // Host kfuncs: checked against the prototype the host registers with them.
    private static readonly KfuncDefinition s_acquire = new("host_acquire", (_, _, _, _, _, _) => 0)
    {
        Prototype = new HelperPrototype(HelperPrototype.KfuncId, "host_acquire", HelperReturn.MemoryOrNull, [HelperArgument.Scalar])
            { KfuncFlags = KfuncFlags.Acquire | KfuncFlags.ReturnsNull, ReturnSize = 16 },
    };

    private static readonly KfuncDefinition s_release = new("host_release", (_, _, _, _, _, _) => 0)
    {
        Prototype = new HelperPrototype(HelperPrototype.KfuncId, "host_release", HelperReturn.Void, [HelperArgument.Reference]) { KfuncFlags = KfuncFlags.Release },
    };

    private static readonly KfuncDefinition s_unknown = new("host_unknown", (_, _, _, _, _, _) => 0);

    private static readonly KfuncDefinition s_sleepy = new("host_sleepy", (_, _, _, _, _, _) => 0)
    {
        Prototype = new HelperPrototype(HelperPrototype.KfuncId, "host_sleepy", HelperReturn.Integer, []) { KfuncFlags = KfuncFlags.Sleepable },
    };

    private static VerificationResult VerifyKfuncs(string source, BpfProgramKind kind = BpfProgramKind.Xdp) =>
        ProgramVerifier.Verify(Assembler.Assemble(source), new VerifierOptions
        {
            Type = ProgramType.ForKind(kind),
            Kfuncs = [s_acquire, s_release, s_unknown, s_sleepy],
        });

    private const string AcquireAndCheck = """
        mov %r1, 7
        call kfunc 0
        jeq %r0, 0, +4
        stxdw [%r0+8], %r1

        """;

    [Test]
    public void AnAcquiredReferenceIsReleasedOnce()
    {
        // 0: mov, 1: call, 2: jeq, 3: store (r1 is clobbered: uninitialized), so store a constant
        // (r0's own value would be a pointer leak under the default, strict policy).
        string safe = """
            mov %r1, 7
            call kfunc 0
            jeq %r0, 0, +4
            stdw [%r0+8], 7
            mov %r1, %r0
            call kfunc 1
            mov %r0, 0
            mov %r0, 2
            exit
            """;
        Assert.That(VerifyKfuncs(safe).Diagnostics, Is.Empty);

        string leak = """
            mov %r1, 7
            call kfunc 0
            jeq %r0, 0, +1
            stdw [%r0+8], 7
            mov %r0, 2
            exit
            """;
        var leaked = VerifyKfuncs(leak).Diagnostics.Single();
        Assert.That((leaked.Code, leaked.Instruction), Is.EqualTo((DiagnosticCode.UnreleasedReference, 5)), leaked.ToString());
        Assert.That(leaked.Message, Does.Contain("kfunc host_acquire at instruction 1"));

        string twice = """
            mov %r1, 7
            call kfunc 0
            jeq %r0, 0, +5
            mov %r6, %r0
            mov %r1, %r6
            call kfunc 1
            mov %r1, %r6
            call kfunc 1
            mov %r0, 2
            exit
            """;
        var again = VerifyKfuncs(twice).Diagnostics.Single();
        Assert.That((again.Code, again.Instruction), Is.EqualTo((DiagnosticCode.UninitializedRegister, 6)), again.ToString());
    }

    [Test]
    public void AMaybeNullReferenceCannotBeReleasedOrUsed()
    {
        var release = VerifyKfuncs("mov %r1, 7\ncall kfunc 0\nmov %r1, %r0\ncall kfunc 1\nmov %r0, 2\nexit").Diagnostics.Single();
        Assert.That((release.Code, release.Instruction), Is.EqualTo((DiagnosticCode.InvalidHelperArgument, 3)), release.ToString());
        var store = VerifyKfuncs("mov %r1, 7\ncall kfunc 0\nstxdw [%r0+0], %r0\nmov %r0, 2\nexit").Diagnostics.Single();
        Assert.That((store.Code, store.Instruction), Is.EqualTo((DiagnosticCode.PossiblyNull, 2)), store.ToString());
    }

    [Test]
    public void AcquiredMemoryHasThePrototypesSize()
    {
        var overrun = VerifyKfuncs(AcquireAndCheck.Replace("stxdw [%r0+8], %r1", "stdw [%r0+16], 7", StringComparison.Ordinal) + "mov %r1, %r0\ncall kfunc 1\nmov %r0, 2\nexit").Diagnostics.Single();
        Assert.That((overrun.Code, overrun.Instruction), Is.EqualTo((DiagnosticCode.OutOfBounds, 3)), overrun.ToString());
    }

    [Test]
    public void AHostKfuncWithoutAPrototypeIsRejected()
    {
        var diagnostic = VerifyKfuncs("call kfunc 2\nmov %r0, 2\nexit").Diagnostics.Single();
        Assert.That((diagnostic.Code, diagnostic.Instruction), Is.EqualTo((DiagnosticCode.UnknownHelper, 0)));
        Assert.That(diagnostic.Message, Does.Contain("host_unknown has no prototype").And.Contain("KfuncDefinition.Prototype"));
    }

    [Test]
    public void SleepableKfuncsNeedASleepableProgram()
    {
        var diagnostic = VerifyKfuncs("call kfunc 3\nmov %r0, 2\nexit").Diagnostics.Single();
        Assert.That((diagnostic.Code, diagnostic.Instruction), Is.EqualTo((DiagnosticCode.UnknownHelper, 0)));
        Assert.That(diagnostic.Message, Does.StartWith("program must be sleepable to call sleepable kfunc host_sleepy"));
        Assert.That(VerifyKfuncs("call kfunc 3\nexit", BpfProgramKind.Syscall).Diagnostics, Is.Empty);
    }

    [Test]
    public void TheRegistryTakesAPrototypeOnlyUnderItsName()
    {
        var registry = KfuncRegistry.CreateDefault();
        registry.Register("host_sleepy", s_sleepy.Function, s_sleepy.Prototype!);
        Assert.That(registry.Find("host_sleepy")!.Prototype, Is.SameAs(s_sleepy.Prototype));
        Assert.Throws<ArgumentException>(() => registry.Register("other", s_sleepy.Function, s_sleepy.Prototype!));
    }

    [Test]
    public void AddressSpaceCastNeedsAnArena()
    {
        using var arena = MapFactory.Create(new BpfMapDefinition { Name = "arena", Type = BpfMapType.Arena, MaxEntries = 1, Flags = BpfMapFlags.Mmapable });
        VerificationResult Cast(string source) => ProgramVerifier.Verify(Assembler.Assemble(source), new VerifierOptions { Maps = [arena] });
        Assert.That(Cast("lddw %r1, map_idx(0)\nmov %r2, 5\naddr_space_cast %r2, %r2, 0, 1\nldxdw %r0, [%r2-4096]\nstdw [%r2+32000], 1\nexit").Diagnostics, Is.Empty);
        var noArena = Cast("mov %r2, 5\naddr_space_cast %r2, %r2, 0, 1\nmov %r0, 0\nexit").Diagnostics.Single();
        Assert.That((noArena.Code, noArena.Instruction), Is.EqualTo((DiagnosticCode.Arena, 1)), noArena.ToString());
        var back = Cast("lddw %r1, map_idx(0)\nmov %r2, 5\naddr_space_cast %r2, %r2, 0, 1\naddr_space_cast %r2, %r2, 1, 0\nldxdw %r0, [%r2+0]\nexit").Diagnostics.Single();
        Assert.That((back.Code, back.Instruction), Is.EqualTo((DiagnosticCode.NotAPointer, 5)), back.ToString());
    }

    private static int UnsafeLineOf(string objectName, string program)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryFiles.TestObjects, objectName + ".c"));
        int start = Array.FindIndex(lines, l => l.Contains($" {program}(", StringComparison.Ordinal));
        return Array.FindIndex(lines, start, l => l.Contains("UNSAFE", StringComparison.Ordinal)) + 1;
    }
}
