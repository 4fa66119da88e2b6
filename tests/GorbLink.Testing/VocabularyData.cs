using GorbLink.Ipvs;

namespace GorbLink.Testing;

/// <summary>Theory data over the IPVS vocabulary, shared by the vocabulary's own tests and GORB's spelling of it.</summary>
public static class VocabularyData
{
    /// <summary>Every mainline scheduler with every combination of the scheduler flags and one-packet.</summary>
    public static IEnumerable<object[]> FlagCombinations()
    {
        ServiceFlags[] bits = [ServiceFlags.Sched1, ServiceFlags.Sched2, ServiceFlags.Sched3, ServiceFlags.OnePacket];
        foreach (var scheduler in IpvsNames.MainlineSchedulers)
        {
            for (var mask = 0; mask < 1 << bits.Length; mask++)
            {
                var flags = ServiceFlags.None;
                for (var i = 0; i < bits.Length; i++)
                    if ((mask & (1 << i)) != 0) flags |= bits[i];
                yield return [scheduler, flags];
            }
        }
    }
}
