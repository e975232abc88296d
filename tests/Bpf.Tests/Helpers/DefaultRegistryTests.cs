using Bpf.Helpers;

namespace Bpf.Tests.Helpers;

/// <summary>The default registries hold the general Linux helpers and built-in kfuncs under their Linux numbers and names.</summary>
public sealed class DefaultRegistryTests
{
    private static readonly (int Id, string Name)[] GeneralHelpers =
    [
        (4, "bpf_probe_read"), (6, "bpf_trace_printk"), (7, "bpf_get_prandom_u32"), (8, "bpf_get_smp_processor_id"),
        (14, "bpf_get_current_pid_tgid"), (15, "bpf_get_current_uid_gid"), (16, "bpf_get_current_comm"), (28, "bpf_csum_diff"),
        (35, "bpf_get_current_task"), (42, "bpf_get_numa_node_id"), (45, "bpf_probe_read_str"), (93, "bpf_spin_lock"),
        (94, "bpf_spin_unlock"), (105, "bpf_strtol"), (106, "bpf_strtoul"), (112, "bpf_probe_read_user"),
        (113, "bpf_probe_read_kernel"), (114, "bpf_probe_read_user_str"), (115, "bpf_probe_read_kernel_str"), (118, "bpf_jiffies64"),
        (125, "bpf_ktime_get_boot_ns"), (160, "bpf_ktime_get_coarse_ns"), (165, "bpf_snprintf"), (177, "bpf_trace_vprintk"),
        (181, "bpf_loop"), (182, "bpf_strncmp"), (208, "bpf_ktime_get_tai_ns"),
    ];

    [Test]
    public void TheGeneralHelpersAreRegisteredByLinuxNumberAndName()
    {
        Assert.Multiple(() =>
        {
            foreach (var (id, name) in GeneralHelpers)
            {
                Assert.That(HelperRegistry.Default.TryGet(id, out var helper), Is.True, $"helper {id}");
                Assert.That(helper?.Name, Is.EqualTo(name));
                Assert.That(helper?.IsStatic, Is.True, $"{name}: compiled code calls static helpers directly");
            }
        });
    }

    [TestCase("bpf_iter_num_new")]
    [TestCase("bpf_iter_num_next")]
    [TestCase("bpf_iter_num_destroy")]
    [TestCase("memset")]
    [TestCase("memcpy")]
    [TestCase("memmove")]
    [TestCase("memcmp")]
    public void TheBuiltInKfuncsAreRegisteredByName(string name)
    {
        var kfunc = KfuncRegistry.Default.Find(name);
        Assert.Multiple(() =>
        {
            Assert.That(kfunc?.Name, Is.EqualTo(name));
            Assert.That(kfunc?.IsStatic, Is.True);
        });
    }
}
