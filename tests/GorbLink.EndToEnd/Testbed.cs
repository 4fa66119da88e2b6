using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace GorbLink.EndToEnd;

/// <summary>
/// The VM's host side for the agent scenarios, set up once per test run: a Docker Engine (tests/vm/start-dockerd, which
/// also loads the local test image) and a dummy eth0 carrying <see cref="Vip"/>, an address that exists only in the VM.
/// </summary>
public static class Testbed
{
    public const string Vip = "10.99.0.1";
    public const string Image = "gorblink-test:latest";
    /// <summary>Every container a scenario starts carries this label, so that cleanup finds them all.</summary>
    public const string OwnLabel = "gorblink.e2e=1";

    private static readonly Lazy<string?> Eth0Ready = new(PrepareEth0, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> DockerReady = new(PrepareDocker, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Skips outside the VM (fails with GORBLINK_REQUIRE_KERNEL=1), then makes sure eth0 is there, and dockerd with the
    /// test image unless <paramref name="docker"/> is false (a scenario without containers, e.g. serve fed over REST).
    /// </summary>
    public static void Require(bool docker = true)
    {
        Vm.RequireIpvs();
        if (Eth0Ready.Value is { } error) Assert.Fail(error);
        if (docker && DockerReady.Value is { } missing) Assert.Fail(missing);
    }

    private static string? PrepareEth0()
    {
        var eth0 = Vm.Run("/bin/sh", "-c", $$"""
            set -e
            ip link show eth0 >/dev/null 2>&1 || { modprobe dummy 2>/dev/null || true; ip link add eth0 type dummy; }
            ip -4 addr show dev eth0 | grep -q 'inet {{Vip}}/' || ip addr add {{Vip}}/24 dev eth0
            ip link set eth0 up
            """);
        return eth0.ExitCode == 0 ? null : "could not set up the dummy eth0 with " + Vip + ": " + eth0;
    }

    private static string? PrepareDocker()
    {
        var clock = Stopwatch.StartNew();
        var docker = Vm.Run(Path.Combine(Vm.Repo, "tests/vm/start-dockerd"));
        if (docker.ExitCode != 0) return "tests/vm/start-dockerd failed: " + docker;
        var image = Vm.Run("docker", "image", "inspect", "--format", "{{.Id}}", Image);
        if (image.ExitCode != 0)
            return $"the test image {Image} is not loaded (tests/setup builds it and saves tests/.cache/gorblink-test.tar): {image}";
        Console.WriteLine($"  [testbed] dockerd and eth0 {Vip}/24 ready in {clock.Elapsed.TotalSeconds:0.0} s");
        return null;
    }
}

/// <summary>A container a scenario started; its hostname is what its HTTP server answers.</summary>
public sealed record Container(string Id, string Name)
{
    public string Hostname => Id[..12];
    public override string ToString() => $"{Name} ({Hostname})";
}

/// <summary>The docker CLI, as an operator would use it.</summary>
public static class Docker
{
    /// <summary>An HTTP server on container port 80 answering with the container's hostname.</summary>
    public const string WebServer = "mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 80 -h /www";

    public static string Cli(params string[] arguments)
    {
        var result = Vm.Run("docker", arguments);
        if (result.ExitCode != 0) throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed: {result}");
        return result.Output.Trim();
    }

    /// <summary>`docker run -d --name NAME -l gorblink.e2e=1 OPTIONS... gorblink-test:latest sh -c SCRIPT`.</summary>
    public static Container Run(string name, IEnumerable<string> options, string script = WebServer) =>
        RunCommand(name, options, "sh", "-c", script);

    /// <summary>`docker run -d --name NAME -l gorblink.e2e=1 OPTIONS... gorblink-test:latest COMMAND...`.</summary>
    public static Container RunCommand(string name, IEnumerable<string> options, params string[] command)
    {
        string[] arguments = ["run", "-d", "--name", name, "-l", Testbed.OwnLabel, .. options, Testbed.Image, .. command];
        var id = Cli(arguments);
        return new Container(id, name);
    }

    /// <summary>The IPv4 host port that `docker port` shows for a container port ("80/tcp").</summary>
    public static int HostPort(string container, string port = "80/tcp")
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var result = Vm.Run("docker", "port", container, port);
            foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (line.StartsWith("0.0.0.0:", StringComparison.Ordinal)) return int.Parse(line["0.0.0.0:".Length..]);
            }
            if (deadline.Elapsed > Scenario.Deadline) throw new InvalidOperationException($"docker port {container} {port}: {result}");
            Thread.Sleep(250);
        }
    }

    public static void Exec(string container, string script) => Cli("exec", container, "sh", "-c", script);

    /// <summary>Removes every container a scenario started (label gorblink.e2e=1).</summary>
    public static void RemoveAll()
    {
        var ids = Vm.Run("docker", "ps", "-aq", "--filter", "label=" + Testbed.OwnLabel).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length > 0) Vm.Run("docker", ["rm", "-f", .. ids]);
    }

    public static string State(string container) => Cli("inspect", "--format", "{{.State.Status}}", container);
}

/// <summary>One destination line of `ipvsadm -Sn` (and, from `-Ln`, its connection counters).</summary>
public sealed record IpvsDestination(string Address, int Weight, string Forward);

/// <summary>The kernel's table as `ipvsadm -Sn` prints it: an independent reader of what the agent wrote.</summary>
public sealed class IpvsTable
{
    private IpvsTable(string[] lines)
    {
        Lines = lines;
        foreach (var line in lines)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 3) continue;
            var service = words[1] + " " + words[2];
            if (words[0] == "-A")
            {
                Services[service] = line;
                Destinations.TryAdd(service, []);
            }
            else if (words[0] == "-a")
            {
                var address = Value(words, "-r") ?? "";
                var weight = int.Parse(Value(words, "-w") ?? "1");
                var forward = words.Contains("-m") ? "masq" : words.Contains("-g") ? "route" : words.Contains("-i") ? "tunnel" : "?";
                if (!Destinations.TryGetValue(service, out var list)) Destinations[service] = list = [];
                list.Add(new IpvsDestination(address, weight, forward));
            }
        }
    }

    public static IpvsTable Read() => new(Vm.IpvsadmSave());

    /// <summary>The raw `ipvsadm -Sn` lines.</summary>
    public string[] Lines { get; }

    /// <summary>"-t 10.99.0.1:80" → its "-A" line.</summary>
    public Dictionary<string, string> Services { get; } = [];

    /// <summary>"-t 10.99.0.1:80" → its destinations in kernel order.</summary>
    public Dictionary<string, List<IpvsDestination>> Destinations { get; } = [];

    public bool IsEmpty => Lines.Length == 0;

    public IReadOnlyList<IpvsDestination> Of(string service) => Destinations.TryGetValue(service, out var list) ? list : [];

    /// <summary>The destination addresses of a service, sorted.</summary>
    public string[] AddressesOf(string service) => [.. Of(service).Select(d => d.Address).Order(StringComparer.Ordinal)];

    public IpvsDestination? Find(string service, string address) => Of(service).FirstOrDefault(d => d.Address == address);

    public override string ToString() => Lines.Length == 0 ? "(empty)" : string.Join('\n', Lines);

    /// <summary>`ipvsadm -Ln` as an operator reads it (with connection counters).</summary>
    public static string List() => Vm.Sh("ipvsadm -Ln").TrimEnd();

    /// <summary>Active and inactive connections of one destination, from `ipvsadm -Ln` (null when it is not there).</summary>
    public static (int Active, int Inactive)? Connections(string service, string address)
    {
        var text = Vm.Sh($"ipvsadm -Ln {service}");
        foreach (var line in text.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "  -> 10.99.0.1:32768   Masq    100    1    0"
            if (words.Length >= 6 && words[0] == "->" && words[1] == address) return (int.Parse(words[4]), int.Parse(words[5]));
        }
        return null;
    }

    private static string? Value(string[] words, string flag)
    {
        var i = Array.IndexOf(words, flag);
        return i >= 0 && i + 1 < words.Length ? words[i + 1] : null;
    }
}

/// <summary>Requests through the VIP from inside the VM, as a client of the load balancer would send them.</summary>
public static class Traffic
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>One HTTP/1.0 GET on a new connection (so that the scheduler picks a destination each time); the body, trimmed.</summary>
    public static string Get(int port = 80, string address = Testbed.Vip)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            client.ConnectAsync(address, port, cts.Token).AsTask().GetAwaiter().GetResult();
            var stream = client.GetStream();
            stream.ReadTimeout = (int)Timeout.TotalMilliseconds;
            stream.WriteTimeout = (int)Timeout.TotalMilliseconds;
            stream.Write(Encoding.ASCII.GetBytes($"GET / HTTP/1.0\r\nHost: {address}\r\n\r\n"));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var response = reader.ReadToEnd();
            var body = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (!response.StartsWith("HTTP/1.", StringComparison.Ordinal) || body < 0)
                throw new IOException($"not an HTTP response: \"{response}\"");
            if (!response.StartsWith("HTTP/1.0 200", StringComparison.Ordinal) && !response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                throw new IOException($"HTTP error: \"{response.Split('\n')[0].Trim()}\"");
            return response[(body + 4)..].Trim();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            throw new IOException($"GET http://{address}:{port}/ failed: {e.Message}", e);
        }
    }

    /// <summary>The hostnames answering <paramref name="count"/> requests, in order.</summary>
    public static List<string> Hostnames(int count, int port = 80) => [.. Enumerable.Range(0, count).Select(_ => Get(port))];

    /// <summary>One UDP datagram from a new socket (a new source port, so a new IPVS connection); the answer or null.</summary>
    public static string? Udp(int port, string message, string address = Testbed.Vip)
    {
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Client.ReceiveTimeout = 5000;
        udp.Connect(address, port);
        var bytes = Encoding.ASCII.GetBytes(message);
        udp.Send(bytes, bytes.Length);
        try
        {
            System.Net.IPEndPoint? from = null;
            return Encoding.ASCII.GetString(udp.Receive(ref from)).Trim();
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
