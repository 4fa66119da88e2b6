using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// The writes of --cleanup-on-exit: delete everything GorbLink owns, at once, without draining. Foreign entries stay;
/// an owned service that holds destinations someone else added keeps them and stays too (only GorbLink's destinations go).
/// </summary>
internal static class CleanupPlan
{
    /// <param name="kept">Called for each owned service kept for its foreign destinations, to log it.</param>
    /// <returns>The plan, and how many services it keeps.</returns>
    public static (IpvsPlan Plan, int Kept) Build(
        OwnedTable.Builder owned,
        IReadOnlyDictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        Action<VirtualServiceKey, IReadOnlyList<DestinationKey>> kept)
    {
        var steps = new List<IpvsPlanStep>();
        var keptCount = 0;
        foreach (var key in owned.Services.Order(KeyOrder.Instance).ToList())
        {
            var table = kernel[key];
            var foreign = table.Destinations.Where(d => !owned.Owns(key, d.Key)).Select(d => d.Key).ToList();
            if (foreign.Count == 0)
            {
                steps.Add(Step(new IpvsOperation.DeleteService(key)));
                continue;
            }
            keptCount++;
            kept(key, foreign);
            foreach (var destination in owned.DestinationsOf(key).Order(KeyOrder.Instance))
                steps.Add(Step(new IpvsOperation.DeleteDestination(key, destination)));
        }
        return (new IpvsPlan(steps), keptCount);
    }

    private static IpvsPlanStep Step(IpvsOperation operation) => new(operation);
}
