using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// serve's start: with -f the kernel is flushed (GORB's meaning) and nothing is adopted; otherwise the services and
/// backends of serve-state.json that are still in the kernel become the desired state again, with the weights they
/// had (a drain at 0 stays at 0), and entries gone from the kernel while serve was down are forgotten. Adopted entries
/// are recorded in serve's ownership file, so that the reconciler manages them and a file from before serve had one
/// still works.
/// </summary>
internal static class ServeAdoption
{
    /// <summary>Returns the adopted backends (to start their health checks).</summary>
    /// <exception cref="InvalidDataException">serve-state.json is damaged.</exception>
    /// <exception cref="OwnershipFileException">serve's ownership file is damaged or cannot be written.</exception>
    public static async Task<IReadOnlyList<BackendEntry>> AdoptAsync(
        IIpvsClient ipvs, ServeOptions options, ServeState state, OwnershipStore ownership, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.Flush)
        {
            var count = (await ipvs.GetServicesAsync(cancellationToken).ConfigureAwait(false)).Count;
            await ipvs.FlushAsync(cancellationToken).ConfigureAwait(false);
            Log.Flushed(logger, count);
            ownership.Load();
            ownership.Save(OwnedTable.Empty);
            state.Change(_ => { });
            return [];
        }
        var document = ServeStateFile.Read(options.StatePath);
        var loaded = ownership.Load();
        if (document is null) return [];
        var owned = loaded.Services.ToDictionary(k => k, k => new HashSet<DestinationKey>(loaded.DestinationsOf(k)));
        var kernel = (await ipvs.GetTableAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Key);
        var adopted = new List<BackendEntry>();
        var forgotten = 0;
        state.Change(tables =>
        {
            foreach (var saved in document.Services ?? [])
            {
                if (Service(saved!) is not { } entry || !kernel.ContainsKey(entry.Service.Key) ||
                    tables.Services.Values.Any(s => s.Service.Key == entry.Service.Key))
                {
                    forgotten++;
                    continue;
                }
                tables.Services.Add(entry.Id, entry);
                owned.TryAdd(entry.Service.Key, []);
            }
            foreach (var saved in document.Backends ?? [])
            {
                if (saved!.Service is null || !tables.Services.TryGetValue(saved.Service, out var service) ||
                    Backend(saved, service) is not { } entry ||
                    !kernel[service.Service.Key].Destinations.Any(d => d.Key == entry.Destination.Key) ||
                    tables.BackendsOf(service).Any(b => b.Destination.Key == entry.Destination.Key))
                {
                    forgotten++;
                    continue;
                }
                entry.UpSince = time.GetUtcNow();
                tables.Backends.Add(entry.Id, entry);
                service.Backends.Add(entry.Id);
                owned[service.Service.Key].Add(entry.Destination.Key);
                adopted.Add(entry);
            }
        });
        ownership.Save(OwnedTable.Create(owned.Select(o => KeyValuePair.Create(o.Key, (IEnumerable<DestinationKey>)o.Value))));
        Log.Adopted(logger, state.Read(t => t.Services.Count), adopted.Count, forgotten);
        return adopted;
    }

    /// <summary>A saved service as it was validated when it was created; null when it no longer passes (forgotten).</summary>
    private static ServiceEntry? Service(ServeStateService saved)
    {
        if (saved.Id is null || saved.Options is null || !EndpointRules.TryParseAddress(saved.Address, out var address)) return null;
        try
        {
            return ServeValidation.BuildService(saved.Id, saved.Options, address);
        }
        catch (GorbApiException)
        {
            return null;
        }
    }

    private static BackendEntry? Backend(ServeStateBackend saved, ServiceEntry service)
    {
        if (saved.Id is null || saved.Options is null || !EndpointRules.TryParseAddress(saved.Address, out var address)) return null;
        try
        {
            return ServeValidation.BuildBackend(saved.Id, service, saved.Options, address, savedWeight: true);
        }
        catch (GorbApiException)
        {
            return null;
        }
    }
}
