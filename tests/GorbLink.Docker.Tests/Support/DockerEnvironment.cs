using System.Runtime.CompilerServices;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;
using Microsoft.Extensions.Logging.Abstractions;

[assembly: AssemblyFixture(typeof(GorbLink.Docker.Tests.Support.DockerEnvironment))]

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// The real engine from tests/setup, shared by all integration tests. Testcontainers is configured for an engine
/// that cannot pull: Ryuk is disabled (its image cannot be pulled) — TESTCONTAINERS_RYUK_DISABLED=true is set here,
/// before Testcontainers' first use — and every container is labelled <c>gorblink.test=&lt;run id&gt;</c>, so this
/// fixture removes what a crashed run left behind and what this run created. When Docker is unreachable, tests call
/// <see cref="RequireDocker"/> and are skipped with the reason.
/// </summary>
public sealed class DockerEnvironment : IAsyncLifetime
{
    public const string TestLabel = "gorblink.test";
    public const string Image = "gorblink-test:latest";

    /// <summary>Leftovers older than this are from a dead run; younger ones may belong to a concurrent run.</summary>
    private static readonly TimeSpan LeftoverAge = TimeSpan.FromMinutes(10);

    [ModuleInitializer]
    internal static void DisableRyuk()
    {
        // Before any Testcontainers type initialises: Ryuk's image (testcontainers/ryuk) cannot be pulled here.
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
    }

    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];
    public Uri Endpoint { get; } = DockerEndpoint.Resolve(null);
    public string? UnavailableReason { get; private set; }
    private DockerConnection? _connection;
    private global::Docker.DotNet.DockerClient? _client;

    /// <summary>GorbLink's own negotiated connection to the engine.</summary>
    public DockerConnection Connection => _connection ?? throw new InvalidOperationException(UnavailableReason);

    /// <summary>
    /// Docker.DotNet.Enhanced (Testcontainers' client), pinned to the negotiated version, for test-side operations the
    /// Testcontainers API lacks (rename, disconnect, kill, inspect of exit codes...). Production does not use it.
    /// </summary>
    public global::Docker.DotNet.DockerClient Client => _client ?? throw new InvalidOperationException(UnavailableReason);

    public async ValueTask InitializeAsync()
    {
        TestcontainersSettings.ResourceReaperEnabled = false;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            _connection = await new DockerConnector(NullLogger<DockerConnector>.Instance) { RequestTimeout = TimeSpan.FromSeconds(5) }
                .ConnectAsync(Endpoint, cts.Token);
            _client = new global::Docker.DotNet.DockerClientBuilder().WithEndpoint(Endpoint).WithApiVersion(_connection.ApiVersion).Build();
            await _client.Images.InspectImageAsync(Image, cts.Token);
        }
        catch (Exception ex) when (ex is GorbLinkDockerException or global::Docker.DotNet.DockerApiException or OperationCanceledException)
        {
            UnavailableReason = ex is global::Docker.DotNet.DockerImageNotFoundException or global::Docker.DotNet.DockerApiException { StatusCode: System.Net.HttpStatusCode.NotFound }
                ? $"the local test image {Image} is missing (run tests/setup): {ex.Message}"
                : $"no Docker Engine at {Endpoint} (run tests/setup): {ex.Message}";
            _client?.Dispose();
            _client = null;
            _connection?.Dispose();
            _connection = null;
            return;
        }

        await RemoveAsync(olderThan: LeftoverAge, ownRunOnly: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is null) return;
        try
        {
            await RemoveAsync(olderThan: TimeSpan.Zero, ownRunOnly: true);
        }
        catch (Exception ex) when (ex is global::Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            // Best effort: the next run removes leftovers.
        }

        _client?.Dispose();
        _connection.Dispose();
    }

    /// <summary>Skips the calling test, with the reason, when there is no engine.</summary>
    public void RequireDocker()
    {
        if (UnavailableReason is not null) Assert.Skip($"Docker integration test skipped: {UnavailableReason}");
    }

    public Dictionary<string, string> Labels(string scenario) => new()
    {
        [TestLabel] = RunId,
        ["gorblink.test.scenario"] = scenario,
        ["gorb.enable"] = "true",
    };

    public string Name(string scenario) => $"gl-{RunId}-{scenario}";

    private async Task RemoveAsync(TimeSpan olderThan, bool ownRunOnly)
    {
        var client = Client;
        var label = ownRunOnly ? $"{TestLabel}={RunId}" : TestLabel;
        var filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } };
        var cutoff = DateTime.UtcNow - olderThan;
        foreach (var c in await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filters }))
        {
            if (c.Created.ToUniversalTime() > cutoff && !ownRunOnly) continue;
            try
            {
                await client.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true });
            }
            catch (global::Docker.DotNet.DockerContainerNotFoundException)
            {
            }
        }

        foreach (var n in await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filters }))
        {
            if (n.Created.ToUniversalTime() > cutoff && !ownRunOnly) continue;
            try
            {
                await client.Networks.DeleteNetworkAsync(n.ID);
            }
            catch (global::Docker.DotNet.DockerApiException)
            {
                // still in use by a container of a concurrent run
            }
        }
    }
}
