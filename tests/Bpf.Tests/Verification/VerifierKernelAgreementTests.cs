using Bpf.Runtime;
using Bpf.Tests.Kernel;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// Every program of the samples and test objects (the large one included) gets the same verdict
/// from our verifier and from the running kernel's (loaded through libbpf). Programs the kernel
/// cannot be asked about for reasons that have nothing to do with verification (raw-memory programs
/// have no kernel program type; libbpf 1.x refuses legacy map sections and some externs) are listed
/// with the reason. The counts are printed.
/// </summary>
public class VerifierKernelAgreementTests
{
    [Test]
    public void EveryProgramGetsTheKernelsVerdict()
    {
        if (!KernelVerifier.IsAvailable(out string whyNot))
            Assert.Ignore(whyNot);

        var objects = Directory.GetFiles(RepositoryFiles.BpfSamples, "*.o").Order(StringComparer.Ordinal)
            .Concat(Directory.GetFiles(RepositoryFiles.TestObjects, "*.o").Order(StringComparer.Ordinal));
        int verified = 0, accepted = 0, rejected = 0, compared = 0, agreed = 0;
        var disagreements = new List<string>();
        var notCompared = new List<string>();
        foreach (string path in objects)
        {
            using var obj = BpfObject.Load(path);
            if (obj.ProgramList.Count == 0)
                continue;

            // Programs that tail-call each other need their peers loaded for libbpf to fill the
            // program arrays, so the whole object is tried first.
            string name = Path.GetFileNameWithoutExtension(path);
            bool wholeObjectLoads;
            string whyNotWhole;
            using (var whole = KernelObject.TryLoad(path, out whyNotWhole))
                wholeObjectLoads = whole is not null;
            foreach (var program in obj.ProgramList)
            {
                // The kernel judges as root here, so ours judges with the privileged policy (Linux's rules for root).
                var ours = ProgramVerifier.Verify(program.Code, VerifierOptions.For(program.Image, program.LineOf) with { Policy = VerifierPolicy.Privileged });
                verified++;
                if (ours.IsAccepted)
                    accepted++;
                else
                    rejected++;

                string label = $"{name}:{program.Name}";
                if (program.SectionName.StartsWith("bpfjit/", StringComparison.Ordinal))
                {
                    notCompared.Add($"{label}: a raw-memory program (section {program.SectionName}); the kernel has no such program type");
                    continue;
                }

                bool? kernel = wholeObjectLoads ? true : KernelObject.Accepts(path, program.Name, out string why);
                if (kernel is null)
                {
                    notCompared.Add($"{label}: {whyNotWhole}");
                    continue;
                }

                compared++;
                if (kernel == ours.IsAccepted)
                    agreed++;
                else
                    disagreements.Add($"{label}: the kernel {(kernel.Value ? "accepts" : "rejects")} it, we {(ours.IsAccepted ? "accept it" : $"reject it: {ours.Diagnostics[0]}")}");
            }
        }

        TestContext.Out.WriteLine($"programs verified: {verified}, accepted: {accepted}, rejected: {rejected}; compared with the kernel: {compared}, same verdict: {agreed}");
        foreach (string line in notCompared)
            TestContext.Out.WriteLine($"not compared: {line}");
        Assert.That(disagreements, Is.Empty);
        Assert.That(compared, Is.GreaterThanOrEqualTo(10), "too few programs could be compared with the kernel");
    }
}
