using GorbLink.Cli;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Remote.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// The one composition root of the agent: the Docker source, the kernel sink and the GORB daemon sinks, registered from
/// what the pre-flight prepared (<see cref="PreparedAgent"/>). `run` composes the Docker source and the kernel sink,
/// `run -r` the Docker source and the daemon sinks, and with --local the kernel sink as well, in the same pipeline: one
/// loop over one source drives every sink (<see cref="RemoteAgent.Create"/>), and <see cref="ReconcileLoop"/> is the
/// kernel's view of it.
/// </summary>
internal static class GorbLinkServiceCollectionExtensions
{
    /// <summary>Everything `run` (with or without -r) runs: the source, the sinks it has, and the service that runs them.</summary>
    public static IServiceCollection AddGorbLinkAgent(
        this IServiceCollection services, PreparedAgent agent, LabelOptions labels, RunOptions options, ILoggerFactory loggerFactory, DateTimeOffset startedAt)
    {
        services.AddGorbLinkDockerSource(agent, options, startedAt);
        if (agent.Kernel) services.AddGorbLinkKernelSink(agent, labels, options, startedAt, alongsideDaemons: agent.Remote is not null);
        if (agent.Remote is null)
        {
            services.AddHostedService<AgentService>();
            return services;
        }
        services.AddGorbLinkDaemonSinks(agent.Remote, labels, loggerFactory, withKernel: agent.Kernel);
        services.AddHostedService(sp => new RemoteAgentService(
            sp.GetRequiredService<DockerWatcher>(), sp.GetRequiredService<RemoteAgent>(), sp.GetService<ReconcileLoop>(), sp.GetRequiredService<AgentSettings>(),
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<RemoteAgentService>>()));
        return services;
    }

    /// <summary>The Docker watcher and the container store it fills: the source of desired state.</summary>
    public static IServiceCollection AddGorbLinkDockerSource(this IServiceCollection services, PreparedAgent agent, RunOptions options, DateTimeOffset startedAt)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ContainerStore>();
        services.AddSingleton(agent.Connector);
        services.AddSingleton(new AgentSettings(options.CleanupOnExit, startedAt));
        services.AddSingleton(sp => new DockerWatcher(
            new DockerWatcherOptions { Endpoint = agent.DockerEndpoint, ResyncInterval = options.ResyncInterval },
            sp.GetRequiredService<ContainerStore>(), agent.Connector, sp.GetRequiredService<ILogger<DockerWatcher>>(), TimeProvider.System));
        return services;
    }

    /// <summary>
    /// This host's kernel as a sink, observed by the opt-in features: alone, the reconcile loop over the store; alongside
    /// the daemons (--local), the kernel's view of the remote agent's one pipeline, which the kernel sink joins.
    /// </summary>
    public static IServiceCollection AddGorbLinkKernelSink(
        this IServiceCollection services, PreparedAgent agent, LabelOptions labels, RunOptions options, DateTimeOffset startedAt, bool alongsideDaemons = false)
    {
        var ipvs = agent.Ipvs ?? throw new InvalidOperationException("the kernel sink needs the IPVS client the pre-flight opened");
        var ownership = agent.Ownership!;
        services.AddSingleton(ipvs);
        services.AddSingleton(ownership);
        services.AddSingleton(sp => new Reconciler(ipvs, ownership,
            new ReconcilerOptions { DrainTimeout = options.DrainTimeout, DryRun = options.DryRun, StatusPath = options.StatusFile },
            sp.GetRequiredService<ILogger<Reconciler>>(), TimeProvider.System));
        var loopOptions = new ReconcileLoopOptions { ResyncInterval = options.ResyncInterval };
        if (alongsideDaemons)
        {
            services.AddSingleton(sp => ReconcileLoop.CreateSink(
                sp.GetRequiredService<Reconciler>(), loopOptions, sp.GetRequiredService<ILogger<ReconcileLoop>>(), TimeProvider.System));
            services.AddSingleton(sp => AgentFeatures.Observe(new ReconcileLoop(sp.GetRequiredService<RemoteAgent>().Pipeline), sp));
        }
        else
        {
            services.AddSingleton(sp => AgentFeatures.Observe(new ReconcileLoop(
                sp.GetRequiredService<ContainerStore>(), new DesiredStateBuilder(labels), sp.GetRequiredService<Reconciler>(),
                loopOptions, sp.GetRequiredService<ILogger<ReconcileLoop>>(), TimeProvider.System), sp));
        }
        AgentFeatures.AddTo(services, agent.Features!, startedAt);
        return services;
    }

    /// <summary>One sink per GORB daemon: the daemons' HTTP clients and the remote agent's pipeline over the store (with the kernel sink in it when <paramref name="withKernel"/>).</summary>
    public static IServiceCollection AddGorbLinkDaemonSinks(
        this IServiceCollection services, RemoteOptions remote, LabelOptions labels, ILoggerFactory loggerFactory, bool withKernel = false)
    {
        var clients = services.AddGorbDaemonClients(remote, loggerFactory.CreateLogger("GorbLink.Remote"));
        services.AddSingleton(sp => RemoteAgent.Create(
            sp.GetRequiredService<ContainerStore>(), labels, remote, loggerFactory, sp.GetRequiredService<IHttpClientFactory>(), clients, TimeProvider.System,
            withKernel ? sp.GetRequiredService<PipelineSink>() : null));
        return services;
    }
}
