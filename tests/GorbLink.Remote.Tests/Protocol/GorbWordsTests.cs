using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Tests.Protocol;

/// <summary>GORB's words are IpvsNames' words, except where GORB spells differently: '|' lists, no mh-* words, empty means default.</summary>
public sealed class GorbWordsTests
{
    [Theory]
    [MemberData(nameof(VocabularyData.FlagCombinations), MemberType = typeof(VocabularyData))]
    public void FlagsRoundTripInGorbsSpelling(string scheduler, ServiceFlags flags)
    {
        var text = GorbWords.Flags(flags, scheduler);
        Assert.True(GorbWords.TryParseFlags(text, out var parsed, out var unknown), unknown);
        Assert.Equal(flags, parsed);
        // Upstream GORB knows sh-* and flag-N, never mh-*.
        Assert.DoesNotContain("mh-", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sh", ServiceFlags.Sched1 | ServiceFlags.Sched2, "sh-fallback|sh-port")]
    [InlineData("SH", ServiceFlags.Sched2, "sh-port")]
    [InlineData("mh", ServiceFlags.Sched1 | ServiceFlags.Sched2, "flag-1|flag-2")]
    [InlineData("wrr", ServiceFlags.Sched3 | ServiceFlags.OnePacket, "flag-3|one-packet")]
    [InlineData("wrr", ServiceFlags.None, "")]
    public void FlagsAreWrittenInTheVocabularysOrder(string scheduler, ServiceFlags flags, string expected) =>
        Assert.Equal(expected, GorbWords.Flags(flags, scheduler));

    [Fact]
    public void EveryFlagWordOfTheVocabularyIsTaken()
    {
        foreach (var word in IpvsNames.ServiceFlagWords)
        {
            Assert.True(GorbWords.TryParseFlags(word.Word, out var flags, out _), word.Word);
            Assert.Equal(word.Flag, flags);
        }
        Assert.False(GorbWords.TryParseFlags("sh-port|sticky", out _, out var unknown));
        Assert.Equal("sticky", unknown);
    }

    [Theory]
    [InlineData(ForwardMethod.Nat, "nat")]
    [InlineData(ForwardMethod.DirectRoute, "dr")]
    [InlineData(ForwardMethod.Tunnel, "tunnel")]
    public void ForwardingMethodsRoundTrip(ForwardMethod method, string word)
    {
        Assert.Equal(word, GorbWords.Forward(method));
        Assert.Equal(IpvsNames.Forward(method), GorbWords.Forward(method));
        Assert.True(GorbWords.TryParseForward(word, out var parsed));
        Assert.Equal(method, parsed);
    }

    [Theory]
    [InlineData(null, ForwardMethod.Nat)]
    [InlineData("", ForwardMethod.Nat)]
    [InlineData("ipip", ForwardMethod.Tunnel)]
    [InlineData("DR", ForwardMethod.DirectRoute)]
    public void EmptyMeansNatAndIpipMeansTunnel(string? text, ForwardMethod expected)
    {
        Assert.True(GorbWords.TryParseForward(text, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData(ForwardMethod.Local)]
    [InlineData(ForwardMethod.Bypass)]
    public void KernelOnlyMethodsGoToGorbAsNat(ForwardMethod method) => Assert.Equal("nat", GorbWords.Forward(method));

    [Fact]
    public void TheDefaultSchedulerIsTheVocabularys() => Assert.Equal(IpvsNames.DefaultScheduler, GorbWords.DefaultScheduler);
}
