using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// GORB's control semantics over <see cref="IIpvsClient"/>: services and backends by ID, validated before anything is
/// written, the kernel written before the model, and the model saved (serve-state.json) after every change so that a
/// restarted daemon adopts its own entries. Every change and every health-check transition is serialised on one gate.
/// </summary>
/// <remarks>
/// Differences from GORB, on purpose: an unknown scheduler, a bad forwarding method, a port out of range or a backend of
/// the other address family is a 400 naming the field (GORB passes some to the kernel and answers 500); an entry that
/// already exists in the kernel is a 409 (GORB: 500); persistent is applied (timeout persistence_timeout, default 300 s);
/// PATCH /service/{vs} changes scheduler, flags and persistence; health-check args may be numbers or strings; a backend
/// addressed under a service it does not belong to is a 404 (GORB ignores the vsID there); a backend that comes back up
/// gets its full weight at once (no weight-1 bug, #47).
/// </remarks>
public sealed class GorbApi : IAsyncDisposable
{
    private const int ENOENT = 2, ESRCH = 3, EEXIST = 17;

    private readonly IIpvsClient _ipvs;
    private readonly ServeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BackendEntry> _backends = new(StringComparer.Ordinal);
    private readonly PulseMonitor _pulses;
    private readonly Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? _vipSync;

    /// <param name="vipSync">--vip-interface: told the VIPs in use after every change, to add the missing ones to the interface.</param>
    public GorbApi(IIpvsClient ipvs, ServeOptions options, ILogger logger, TimeProvider? time = null,
        Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? vipSync = null)
    {
        _vipSync = vipSync;
        ArgumentNullException.ThrowIfNull(ipvs);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _ipvs = ipvs;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _pulses = new PulseMonitor(options.MaxConcurrentChecks, options.CheckTimeout, OnPulseAsync, logger, _time);
    }

    /// <summary>-f flushes the kernel; otherwise the entries of serve-state.json still in the kernel are adopted.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.Flush)
            {
                var count = (await _ipvs.GetServicesAsync(cancellationToken).ConfigureAwait(false)).Count;
                await _ipvs.FlushAsync(cancellationToken).ConfigureAwait(false);
                Log.Flushed(_logger, count);
                Save();
                await SyncVipsAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            var document = ServeStateFile.Read(_options.StatePath);
            if (document is null) return;
            var kernel = (await _ipvs.GetTableAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Key);
            int services = 0, backends = 0, forgotten = 0;
            foreach (var saved in document.Services ?? [])
            {
                if (saved.Id is null || saved.Options is null || !IPAddress.TryParse(saved.Address, out var address)) { forgotten++; continue; }
                ServiceEntry entry;
                try
                {
                    entry = BuildService(saved.Id, saved.Options, address);
                }
                catch (GorbApiException)
                {
                    forgotten++;
                    continue;
                }
                if (!kernel.TryGetValue(entry.Service.Key, out var table)) { forgotten++; continue; }
                if (!SameSpec(table.Service.Service.Spec, entry.Service.Spec))
                    await _ipvs.UpdateServiceAsync(entry.Service, cancellationToken).ConfigureAwait(false);
                _services.Add(entry.Id, entry);
                services++;
            }
            foreach (var saved in document.Backends ?? [])
            {
                if (saved.Id is null || saved.Service is null || saved.Options is null || !_services.TryGetValue(saved.Service, out var service) ||
                    !IPAddress.TryParse(saved.Address, out var address) || _backends.ContainsKey(saved.Id))
                {
                    forgotten++;
                    continue;
                }
                BackendEntry entry;
                try
                {
                    entry = BuildBackend(saved.Id, service, saved.Options, address);
                }
                catch (GorbApiException)
                {
                    forgotten++;
                    continue;
                }
                var inKernel = kernel[service.Service.Key].Destinations.FirstOrDefault(d => d.Key == entry.Destination.Key);
                if (inKernel is null) { forgotten++; continue; }
                if (inKernel.Destination.Spec.Weight != entry.Weight || inKernel.Destination.Spec.Forward != entry.Destination.Spec.Forward)
                    await _ipvs.UpdateDestinationAsync(service.Service.Key, entry.Destination, cancellationToken).ConfigureAwait(false);
                entry.UpSince = _time.GetUtcNow();
                _backends.Add(entry.Id, entry);
                service.Backends.Add(entry.Id);
                if (_options.EnablePulses) _pulses.Start(entry);
                backends++;
            }
            Log.Adopted(_logger, services, backends, forgotten);
            Save();
            await SyncVipsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---- reads -------------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<string>> ListServicesAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return [.. _services.Keys.Order(StringComparer.Ordinal)]; }
        finally { _gate.Release(); }
    }

    public async Task<GorbServiceInfo> GetServiceAsync(string vsId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var service = FindService(vsId);
            return new GorbServiceInfo { Options = service.Options, Health = ServiceHealth(service), Backends = [.. service.Backends] };
        }
        finally { _gate.Release(); }
    }

    public async Task<GorbBackendInfo> GetBackendAsync(string vsId, string rsId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var backend = FindBackend(vsId, rsId);
            return new GorbBackendInfo
            {
                Options = backend.Options,
                Metrics = new GorbBackendMetrics { Status = backend.Status, Health = backend.Health, Uptime = Uptime(backend) },
            };
        }
        finally { _gate.Release(); }
    }

    // ---- writes ------------------------------------------------------------------------------------------------

    public async Task CreateServiceAsync(string vsId, GorbServiceOptions options, CancellationToken cancellationToken)
    {
        var address = await ResolveServiceHostAsync(options.Host, cancellationToken).ConfigureAwait(false);
        var entry = BuildService(vsId, options, address);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_services.ContainsKey(vsId)) throw GorbApiException.Conflict($"service {vsId} already exists");
            if (_services.Values.FirstOrDefault(s => s.Service.Key == entry.Service.Key) is { } twin)
                throw GorbApiException.Conflict($"{entry.Service.Key} is already service {twin.Id}");
            // From here on the client going away must not cut the write in half (kernel written, model not): no
            // cancellation. The state file lists the entry before the kernel has it (write-ahead), so that a crash in
            // between leaves an entry the next start adopts, not one it calls foreign.
            _services.Add(vsId, entry);
            Save();
            try
            {
                await _ipvs.CreateServiceAsync(entry.Service, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IpvsException e)
            {
                _services.Remove(vsId);
                Save();
                if (e.Errno == EEXIST)
                    throw GorbApiException.Conflict($"{entry.Service.Key} already exists in the kernel and was not created by this daemon; remove it first (ipvsadm -D ...) or restart with -f");
                throw;
            }
            Log.ServiceCreated(_logger, vsId, entry.Service.Key.ToString(), entry.Service.Spec.Scheduler);
            await SyncVipsAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    public async Task PatchServiceAsync(string vsId, GorbServicePatch patch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var service = FindService(vsId);
            var current = service.Options;
            if (patch.Host is not null && !string.Equals(patch.Host, current.Host, StringComparison.OrdinalIgnoreCase) &&
                !(IPAddress.TryParse(patch.Host, out var host) && host.Equals(service.Service.Key.Address)))
                throw GorbApiException.BadRequest($"host: cannot be changed from \"{current.Host}\" (delete and re-create the service)");
            if (patch.Port is { } port && port != current.Port)
                throw GorbApiException.BadRequest($"port: cannot be changed from {current.Port} (delete and re-create the service)");
            if (patch.Protocol is { Length: > 0 } protocol && !string.Equals(protocol, current.Protocol, StringComparison.OrdinalIgnoreCase))
                throw GorbApiException.BadRequest($"protocol: cannot be changed from {current.Protocol} (delete and re-create the service)");
            var merged = new GorbServiceOptions
            {
                Host = current.Host,
                Port = current.Port,
                Protocol = current.Protocol,
                Method = patch.Method ?? current.Method,
                Flags = patch.Flags ?? current.Flags,
                Persistent = patch.Persistent ?? (patch.PersistenceTimeout is > 0 || current.Persistent),
                PersistenceTimeout = patch.PersistenceTimeout ?? (patch.Persistent == false ? null : current.PersistenceTimeout),
            };
            var updated = BuildService(vsId, merged, service.Service.Key.Address!);
            if (updated.Service != service.Service)
            {
                await _ipvs.UpdateServiceAsync(updated.Service, CancellationToken.None).ConfigureAwait(false);
                Log.ServiceUpdated(_logger, vsId, updated.Service.Spec.Scheduler, updated.Options.Flags ?? "", updated.Service.Spec.PersistenceTimeout);
            }
            service.Service = updated.Service;
            service.Options = updated.Options;
            Save();
        }
        finally { _gate.Release(); }
    }

    public async Task DeleteServiceAsync(string vsId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var service = FindService(vsId);
            try
            {
                await _ipvs.DeleteServiceAsync(service.Service.Key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IpvsException e) when ((int)e.Errno is ESRCH or ENOENT)
            {
            }
            foreach (var rsId in service.Backends)
            {
                if (_backends.Remove(rsId, out var backend)) StopPulse(backend);
            }
            _services.Remove(vsId);
            Save();
            Log.ServiceDeleted(_logger, vsId, service.Service.Key.ToString());
            await SyncVipsAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    public async Task CreateBackendAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Host)) throw GorbApiException.BadRequest("host: endpoint information is missing (a backend needs a host)");
        var address = await ResolveAsync(options.Host, "host", cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Validation first, then existence, as GORB does; backends are keyed by rsID alone.
            _ = BuildBackend(rsId, null, options, address);
            if (_backends.TryGetValue(rsId, out var existing))
                throw GorbApiException.Conflict($"backend {rsId} already exists (in service {existing.ServiceId})");
            if (!_services.TryGetValue(vsId, out var service)) throw GorbApiException.NotFound($"service {vsId} not found");
            var entry = BuildBackend(rsId, service, options, address);
            if (service.Backends.Select(id => _backends[id]).FirstOrDefault(b => b.Destination.Key == entry.Destination.Key) is { } twin)
                throw GorbApiException.Conflict($"{entry.Destination.Key} is already backend {twin.Id} of service {vsId}");
            entry.UpSince = _time.GetUtcNow();
            _backends.Add(rsId, entry);
            service.Backends.Add(rsId);
            Save(); // write-ahead, and no cancellation from here on (see CreateServiceAsync)
            try
            {
                await _ipvs.CreateDestinationAsync(service.Service.Key, entry.Destination, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IpvsException e)
            {
                _backends.Remove(rsId);
                service.Backends.Remove(rsId);
                Save();
                if (e.Errno == EEXIST)
                    throw GorbApiException.Conflict($"destination {entry.Destination.Key} of {service.Service.Key} already exists in the kernel and was not created by this daemon");
                throw;
            }
            if (_options.EnablePulses) _pulses.Start(entry);
            Log.BackendCreated(_logger, rsId, entry.Destination.Key.ToString(), vsId, entry.Weight);
        }
        finally { _gate.Release(); }
    }

    /// <summary>GORB applies only the weight; 0 is allowed (drain). While the health check says down the kernel keeps 0.</summary>
    public async Task PatchBackendAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken)
    {
        if (options.Weight < 0 || options.Weight > int.MaxValue)
            throw GorbApiException.BadRequest($"weight: {options.Weight} is not 0..{int.MaxValue}");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var backend = FindBackend(vsId, rsId);
            var service = _services[backend.ServiceId];
            var weight = (int)options.Weight;
            var updated = backend.Destination with { Spec = backend.Destination.Spec with { Weight = weight } };
            if (backend.Status != GorbStatus.Down && weight != backend.Weight)
                await _ipvs.UpdateDestinationAsync(service.Service.Key, updated, CancellationToken.None).ConfigureAwait(false);
            backend.Destination = updated;
            backend.Options.Weight = weight;
            Save();
            Log.BackendWeight(_logger, rsId, weight, backend.Status == GorbStatus.Down ? " (held at 0 while its health check fails)" : "");
        }
        finally { _gate.Release(); }
    }

    public async Task DeleteBackendAsync(string vsId, string rsId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var backend = FindBackend(vsId, rsId);
            var service = _services[backend.ServiceId];
            try
            {
                await _ipvs.DeleteDestinationAsync(service.Service.Key, backend.Destination.Key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IpvsException e) when ((int)e.Errno is ESRCH or ENOENT)
            {
            }
            _backends.Remove(rsId);
            service.Backends.Remove(rsId);
            StopPulse(backend);
            Save();
            Log.BackendDeleted(_logger, rsId, backend.Destination.Key.ToString(), service.Id);
        }
        finally { _gate.Release(); }
    }

    // ---- health checks -----------------------------------------------------------------------------------------

    private async Task OnPulseAsync(BackendEntry backend, bool up, string detail)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_backends.TryGetValue(backend.Id, out var current) || !ReferenceEquals(current, backend)) return;
            backend.Record(up);
            var status = up ? GorbStatus.Up : GorbStatus.Down;
            if (status == backend.Status) return;
            var previousWeight = backend.KernelWeight;
            backend.Status = status;
            if (up) backend.UpSince = _time.GetUtcNow();
            var service = _services[backend.ServiceId];
            if (backend.KernelWeight != previousWeight)
            {
                try
                {
                    await _ipvs.UpdateDestinationAsync(service.Service.Key,
                        backend.Destination with { Spec = backend.Destination.Spec with { Weight = backend.KernelWeight } }).ConfigureAwait(false);
                }
                catch (IpvsException e)
                {
                    Log.PulseWeightFailed(_logger, backend.Id, e.Message);
                }
            }
            if (up) Log.BackendUp(_logger, backend.Id, backend.Destination.Key.ToString(), backend.KernelWeight);
            else Log.BackendDown(_logger, backend.Id, backend.Destination.Key.ToString(), detail);
        }
        finally { _gate.Release(); }
    }

    private void StopPulse(BackendEntry backend)
    {
        backend.Status = GorbStatus.Removed;
        _pulses.Stop(backend);
    }

    // ---- metrics -----------------------------------------------------------------------------------------------

    /// <summary>GORB's Prometheus gauges (core/prometheus_exporter.go), uptime in real seconds.</summary>
    public async Task<string> MetricsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var text = new StringBuilder();
            var ic = CultureInfo.InvariantCulture;
            var services = _services.Values.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
            void Header(string name, string help)
            {
                text.Append(ic, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
            }
            string ServiceLabels(ServiceEntry s) =>
                $"name=\"{Escape(s.Id)}\",host=\"{Escape(s.Service.Key.Address?.ToString() ?? "")}\",port=\"{s.Service.Key.Port}\",protocol=\"{IpvsNames.Protocol(s.Service.Key.Protocol)}\"";
            Header("gorb_service_health", "Health of the service: the mean health of its backends, 1 with none");
            foreach (var s in services) text.Append(ic, $"gorb_service_health{{{ServiceLabels(s)}}} {Number(ServiceHealth(s))}\n");
            Header("gorb_service_backends", "Number of backends of the service");
            foreach (var s in services) text.Append(ic, $"gorb_service_backends{{{ServiceLabels(s)}}} {s.Backends.Count}\n");

            var backends = services.SelectMany(s => s.Backends.Select(id => _backends[id])).ToList();
            string BackendLabels(BackendEntry b) =>
                $"service_name=\"{Escape(b.ServiceId)}\",name=\"{Escape(b.Id)}\",host=\"{Escape(b.Destination.Key.Address.ToString())}\",port=\"{b.Destination.Key.Port}\"";
            Header("gorb_service_backend_uptime_seconds", "Seconds since the backend's health check last came up");
            foreach (var b in backends) text.Append(ic, $"gorb_service_backend_uptime_seconds{{{BackendLabels(b)}}} {Uptime(b)}\n");
            Header("gorb_service_backend_health", "Share of successful health checks among the last 100");
            foreach (var b in backends) text.Append(ic, $"gorb_service_backend_health{{{BackendLabels(b)}}} {Number(b.Health)}\n");
            Header("gorb_service_backend_status", "Health-check status: 0 up, 1 down, 2 removed");
            foreach (var b in backends) text.Append(ic, $"gorb_service_backend_status{{{BackendLabels(b)}}} {b.Status}\n");
            Header("gorb_service_backend_weight", "Weight of the backend in the kernel");
            foreach (var b in backends) text.Append(ic, $"gorb_service_backend_weight{{{BackendLabels(b)}}} {b.KernelWeight}\n");
            return text.ToString();
        }
        finally { _gate.Release(); }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // ---- helpers -----------------------------------------------------------------------------------------------

    private ServiceEntry FindService(string vsId) =>
        _services.TryGetValue(vsId, out var service) ? service : throw GorbApiException.NotFound($"service {vsId} not found");

    private BackendEntry FindBackend(string vsId, string rsId)
    {
        if (!_backends.TryGetValue(rsId, out var backend)) throw GorbApiException.NotFound($"backend {rsId} not found");
        if (backend.ServiceId != vsId) throw GorbApiException.NotFound($"backend {rsId} not found in service {vsId} (it belongs to service {backend.ServiceId})");
        return backend;
    }

    private double ServiceHealth(ServiceEntry service) =>
        service.Backends.Count == 0 ? 1.0 : service.Backends.Average(id => _backends[id].Health);

    private long Uptime(BackendEntry backend) =>
        backend.Status == GorbStatus.Up ? Math.Max(0, (long)(_time.GetUtcNow() - backend.UpSince).TotalSeconds) : 0;

    private void Save()
    {
        try
        {
            ServeStateFile.Write(_options.StatePath, _services.Values, _backends.Values);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StateWriteFailed(_logger, _options.StatePath, e.Message);
        }
    }

    private async Task SyncVipsAsync(CancellationToken cancellationToken)
    {
        if (_vipSync is null) return;
        var inUse = _services.Values.Select(s => s.Service.Key.Address!).ToHashSet();
        try
        {
            await _vipSync(inUse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.VipSyncFailed(_logger, e.Message);
        }
    }

    private static bool SameSpec(VirtualServiceSpec kernel, VirtualServiceSpec wanted) =>
        kernel.Scheduler == wanted.Scheduler &&
        (kernel.Flags & ~(ServiceFlags.Hashed | ServiceFlags.Persistent)) == (wanted.Flags & ~ServiceFlags.Persistent) &&
        kernel.PersistenceTimeout == wanted.PersistenceTimeout;

    private async Task<IPAddress> ResolveServiceHostAsync(string? host, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(host)) return await ResolveAsync(host, "host", cancellationToken).ConfigureAwait(false);
        return _options.DefaultHost ?? throw GorbApiException.BadRequest(
            "host: endpoint information is missing (no host given, and the daemon's -i interface has no address to default to)");
    }

    private async Task<IPAddress> ResolveAsync(string host, string field, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var address)) return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (Uri.CheckHostName(host) != UriHostNameType.Dns) throw GorbApiException.BadRequest($"{field}: \"{host}\" is neither an IP address nor a DNS name");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ResolveTimeout);
        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw GorbApiException.BadRequest($"{field}: cannot resolve \"{host}\": {e.Message}");
        }
        return found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
            ?? throw GorbApiException.BadRequest($"{field}: \"{host}\" resolves to no address");
    }

    /// <summary>Validates service options (GORB's ServiceOptions.Validate, stricter) into an entry; throws 400 naming the field.</summary>
    private static ServiceEntry BuildService(string vsId, GorbServiceOptions options, IPAddress address)
    {
        if (options.Port == 0) throw GorbApiException.BadRequest("port: endpoint information is missing (port must be 1..65535)");
        if (options.Port is < 0 or > ushort.MaxValue) throw GorbApiException.BadRequest($"port: {options.Port} is not 1..65535");
        var protocolText = string.IsNullOrEmpty(options.Protocol) ? "tcp" : options.Protocol.ToLowerInvariant();
        var protocol = protocolText switch
        {
            "tcp" => IpvsProtocol.Tcp,
            "udp" => IpvsProtocol.Udp,
            _ => throw GorbApiException.BadRequest($"protocol: specified protocol is unknown: \"{options.Protocol}\" (tcp or udp)"),
        };
        var scheduler = string.IsNullOrEmpty(options.Method) ? GorbWords.DefaultScheduler : options.Method.ToLowerInvariant();
        if (!IpvsNames.MainlineSchedulers.Contains(scheduler))
            throw GorbApiException.BadRequest($"method: unknown scheduler \"{options.Method}\" (known: {string.Join(", ", IpvsNames.MainlineSchedulers)})");
        if (!GorbWords.TryParseFlags(options.Flags, out var flags, out var unknown))
            throw GorbApiException.BadRequest($"flags: specified flag is unknown: \"{unknown}\" (known: sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3, one-packet)");
        uint timeout = 0;
        if (options.PersistenceTimeout is { } requested)
        {
            if (requested is < 1 or > ContainerLabels.MaxPersistence)
                throw GorbApiException.BadRequest($"persistence_timeout: {requested} is not 1..{ContainerLabels.MaxPersistence} seconds");
            timeout = (uint)requested;
        }
        else if (options.Persistent)
        {
            timeout = GorbWords.DefaultPersistenceTimeout;
        }
        var key = VirtualServiceKey.For(protocol, address, (ushort)options.Port);
        var spec = new VirtualServiceSpec { Scheduler = scheduler, Flags = flags, PersistenceTimeout = timeout };
        var echo = new GorbServiceOptions
        {
            Host = options.Host ?? "",
            Port = options.Port,
            Protocol = protocolText,
            Method = scheduler,
            Flags = options.Flags ?? "",
            Persistent = timeout > 0,
            PersistenceTimeout = timeout > 0 ? timeout : null,
        };
        return new ServiceEntry { Id = vsId, Options = echo, Service = new VirtualService(key, spec) };
    }

    /// <summary>Validates backend options (GORB's BackendOptions.Validate, stricter); with a service, also the address family.</summary>
    private static BackendEntry BuildBackend(string rsId, ServiceEntry? service, GorbBackendOptions options, IPAddress address)
    {
        if (options.Port == 0) throw GorbApiException.BadRequest("port: endpoint information is missing (port must be 1..65535)");
        if (options.Port is < 0 or > ushort.MaxValue) throw GorbApiException.BadRequest($"port: {options.Port} is not 1..65535");
        if (options.Weight > int.MaxValue) throw GorbApiException.BadRequest($"weight: {options.Weight} is larger than {int.MaxValue}");
        var weight = options.Weight <= 0 ? GorbWords.DefaultWeight : (int)options.Weight;
        if (!GorbWords.TryParseForward(options.Method, out var forward))
            throw GorbApiException.BadRequest($"method: specified forwarding method is unknown: \"{options.Method}\" (nat, dr, tunnel or ipip)");
        var pulse = ParsePulse(options.Pulse);
        if (service is not null && address.AddressFamily != service.Service.Key.Family)
        {
            throw GorbApiException.BadRequest(
                $"host: incompatible address families: backend {address} is {Addresses.Family(address)}, service {service.Id} ({service.Service.Key}) is {Addresses.Family(service.Service.Key.Address!)}");
        }
        var destination = new Destination(new DestinationKey(address, (ushort)options.Port), new DestinationSpec { Weight = weight, Forward = forward });
        var echo = new GorbBackendOptions
        {
            Host = options.Host,
            Port = options.Port,
            Weight = weight,
            Method = string.IsNullOrEmpty(options.Method) ? "nat" : options.Method.ToLowerInvariant(),
            Pulse = new GorbPulseOptions
            {
                Type = pulse.Kind.ToString().ToLowerInvariant(),
                Interval = string.IsNullOrEmpty(options.Pulse?.Interval) ? GorbWords.DefaultInterval : options.Pulse.Interval,
                Args = options.Pulse?.Args,
            },
            VsId = service?.Id,
        };
        return new BackendEntry { Id = rsId, ServiceId = service?.Id ?? "", Options = echo, Destination = destination, Pulse = pulse };
    }

    private static PulseSpec ParsePulse(GorbPulseOptions? options)
    {
        if (options is null) return PulseSpec.Default;
        var kind = (options.Type ?? "").ToLowerInvariant() switch
        {
            "" or "tcp" => PulseKind.Tcp,
            "http" => PulseKind.Http,
            "none" => PulseKind.None,
            _ => throw GorbApiException.BadRequest($"pulse.type: specified pulse type is unknown: \"{options.Type}\" (tcp, http or none)"),
        };
        if (!GorbWords.TryParseInterval(options.Interval, out var interval, out var problem))
            throw GorbApiException.BadRequest($"pulse.interval: {problem}");
        var args = options.Args;
        var method = ArgText(args, "method") ?? "GET";
        if (method.Length == 0 || !method.All(char.IsAsciiLetter))
            throw GorbApiException.BadRequest($"pulse.args.method: \"{method}\" is not an HTTP method");
        var path = ArgText(args, "path") ?? "/";
        if (!path.StartsWith('/')) throw GorbApiException.BadRequest($"pulse.args.path: \"{path}\" must start with /");
        var expect = ArgNumber(args, "expect", 100, 599) ?? 200;
        var host = ArgText(args, "host");
        var port = ArgNumber(args, "port", 1, ushort.MaxValue);
        return new PulseSpec(kind, interval, method.ToUpperInvariant(), path, expect, string.IsNullOrEmpty(host) ? null : host, port);
    }

    private static string? ArgText(Dictionary<string, JsonElement>? args, string name)
    {
        if (args is null || !TryArg(args, name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw GorbApiException.BadRequest($"pulse.args.{name}: expected a string, got {value.ValueKind.ToString().ToLowerInvariant()}"),
        };
    }

    /// <summary>A number given as a JSON number or a string (GORB panics on numbers; both are fine here).</summary>
    private static int? ArgNumber(Dictionary<string, JsonElement>? args, string name, int min, int max)
    {
        if (args is null || !TryArg(args, name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        int number;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)) number = n;
        else if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) number = s;
        else throw GorbApiException.BadRequest($"pulse.args.{name}: {value.GetRawText()} is not a whole number");
        if (number < min || number > max) throw GorbApiException.BadRequest($"pulse.args.{name}: {number} is not {min}..{max}");
        return number;
    }

    private static bool TryArg(Dictionary<string, JsonElement> args, string name, out JsonElement value)
    {
        foreach (var (key, v) in args)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _pulses.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
