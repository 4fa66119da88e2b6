using System.Diagnostics;
using System.Text;

namespace GorbLink.EndToEnd;

/// <summary>What the end-to-end suite needs from the VM: IPVS, the built gorblink, and processes to run.</summary>
public static class Vm
{
    public static string Repo { get; } = FindRepo();
    /// <summary>The gorblink to run: GORBLINK_BINARY (tests/run sets it to the NativeAOT binary), else the Debug build.</summary>
    public static string Gorblink =>
        Environment.GetEnvironmentVariable("GORBLINK_BINARY") is { Length: > 0 } binary ? binary : Path.Combine(Repo, "src/GorbLink/bin/Debug/net10.0/gorblink");

    /// <summary>Skips (outside the VM) or fails (when GORBLINK_REQUIRE_KERNEL=1) unless the kernel has IPVS.</summary>
    public static void RequireIpvs()
    {
        if (File.Exists("/proc/net/ip_vs")) return;
        if (Environment.GetEnvironmentVariable("GORBLINK_REQUIRE_KERNEL") == "1")
            Assert.Fail("GORBLINK_REQUIRE_KERNEL=1 but this kernel has no IPVS (/proc/net/ip_vs is absent)");
        Assert.Skip("this kernel has no IPVS (/proc/net/ip_vs is absent): the end-to-end suite runs inside tests/vm/run");
    }

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static Result Run(string file, params string[] arguments) => RunWithInput(file, null, arguments);

    public static Result RunWithInput(string file, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            WorkingDirectory = Repo,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    public static string Sh(string script)
    {
        var result = Run("/bin/sh", "-c", script);
        if (result.ExitCode != 0) throw new InvalidOperationException($"sh -c '{script}' failed: {result}");
        return result.Output;
    }

    public static string[] IpvsadmSave() => Sh("ipvsadm -Sn").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static string WriteTemp(string name, string content)
    {
        var dir = Path.Combine(Path.GetTempPath(), "gorblink-e2e");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, Encoding.UTF8);
        return path;
    }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GorbLink.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("GorbLink.sln not found above " + AppContext.BaseDirectory);
    }
}
