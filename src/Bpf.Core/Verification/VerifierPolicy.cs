namespace Bpf.Verification;

/// <summary>
/// How much a program is trusted with pointers and uninitialized memory. Both policies prove a
/// program memory-safe; they differ in what it may learn about the host (docs/verifier.md,
/// "Policies").
/// </summary>
public enum VerifierPolicy
{
    /// <summary>
    /// The default for hosts and <c>bpfjit verify</c>: Linux's privileged rules, plus what Linux
    /// requires of unprivileged loaders to keep the host's secrets: no reads of stack bytes the
    /// program did not write (the stack is not cleared between runs and may hold host data), and
    /// no pointer values escaping into memory the host or a helper can read, into the return
    /// value, or into comparisons and arithmetic that reveal them.
    /// </summary>
    Strict,

    /// <summary>
    /// Linux's rules for a privileged loader (root, or CAP_BPF with CAP_PERFMON), as the kernel on
    /// this machine applies them to the tests that compare verdicts with it: uninitialized stack
    /// may be read (as unknown numbers), and pointers may be stored in maps and the context,
    /// passed to helpers as numbers, compared, and read back from the stack as numbers.
    /// </summary>
    Privileged,
}
