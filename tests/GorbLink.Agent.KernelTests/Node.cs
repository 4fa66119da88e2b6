using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GorbLink.Agent.KernelTests;

/// <summary>The VM as these tests use it: a real kernel with IPVS, root, `ip`, and the built gorblink.</summary>
public static class Node
{
    /// <summary>The checkout (from this file's path at build time, or GORBLINK_REPO).</summary>
    public static string Repo { get; } = Environment.GetEnvironmentVariable("GORBLINK_REPO") is { Length: > 0 } repo ? repo : FromSource();

    /// <summary>The gorblink to run: GORBLINK_BINARY, else the Debug build tests/run makes.</summary>
    public static string Gorblink =>
        Environment.GetEnvironmentVariable("GORBLINK_BINARY") is { Length: > 0 } binary ? binary : Path.Combine(Repo, "src/GorbLink/bin/Debug/net10.0/gorblink");

    /// <summary>Skips outside the VM, or fails when GORBLINK_REQUIRE_KERNEL=1 (inside it IPVS must exist).</summary>
    public static void RequireKernel()
    {
        if (File.Exists("/proc/net/ip_vs") && Environment.UserName == "root") return;
        if (Environment.GetEnvironmentVariable("GORBLINK_REQUIRE_KERNEL") == "1")
            Assert.Fail("GORBLINK_REQUIRE_KERNEL=1 but this kernel has no IPVS (/proc/net/ip_vs is absent) or this is not root");
        Assert.Skip("needs root and a kernel with IPVS: this suite runs inside tests/vm/run");
    }

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static Result Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs a shell command; fails the test when it fails.</summary>
    public static string Sh(string script)
    {
        var result = Run("/bin/sh", "-c", script);
        if (result.ExitCode != 0) Assert.Fail($"sh -c '{script}' failed: {result}");
        return result.Output;
    }

    /// <summary>A dummy interface, up, made fresh (any earlier one of that name is deleted first).</summary>
    public static int Dummy(string name)
    {
        Run("ip", "link", "del", name);
        Sh($"ip link add {name} type dummy && ip link set {name} up");
        return int.Parse(File.ReadAllText($"/sys/class/net/{name}/ifindex").Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>`ip -o addr show dev NAME` as "ADDRESS/PREFIX" entries: an independent reader of the kernel's addresses.</summary>
    public static string[] IpAddr(string device) =>
        [.. Sh($"ip -o addr show dev {device}").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => f[3])
            .Where(a => !a.StartsWith("fe80:", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    private static string FromSource([CallerFilePath] string source = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../.."));
}
