using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.Labels;

/// <summary>
/// Labels take the words of <see cref="IpvsNames"/>, no more and no fewer: every scheduler, forwarding method and
/// protocol spelling the vocabulary parses, and the flag words of <see cref="FlagWordSet.Named"/>.
/// </summary>
public sealed class LabelVocabularyTests
{
    private static ContainerRecord Container(params (string Key, string Value)[] labels) => new()
    {
        Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Name = "web-1",
        Image = "nginx:1.27",
        Labels = labels.Prepend(("gorb.enable", "true")).ToImmutableDictionary(l => l.Item1, l => l.Item2),
        ExposedPorts = ["80/tcp", "80/udp", "80/sctp"],
        PublishedPorts =
        [
            new PortBinding(80, "tcp", IPAddress.Any, 80),
            new PortBinding(80, "udp", IPAddress.Any, 80),
            new PortBinding(80, "sctp", IPAddress.Any, 80),
        ],
    };

    private static ContainerIntent Intent(params (string Key, string Value)[] labels)
    {
        var result = ContainerLabels.Parse(Container(labels), LabelScenario.DefaultOptions);
        Assert.True(result.Intent is not null, result.Error?.Message);
        return result.Intent!;
    }

    public static TheoryData<string> Schedulers() => new(IpvsNames.MainlineSchedulers);

    [Theory]
    [MemberData(nameof(Schedulers))]
    public void EveryMainlineSchedulerInAnyCase(string scheduler)
    {
        Assert.Equal(scheduler, Intent(("gorb.scheduler", scheduler)).Scheduler);
        Assert.Equal(scheduler, Intent(("gorb.scheduler", $" {scheduler.ToUpperInvariant()} ")).Scheduler);
    }

    [Theory]
    [InlineData("nat", ForwardMethod.Nat)]
    [InlineData("masq", ForwardMethod.Nat)]
    [InlineData("dr", ForwardMethod.DirectRoute)]
    [InlineData("droute", ForwardMethod.DirectRoute)]
    [InlineData("tunnel", ForwardMethod.Tunnel)]
    [InlineData("tun", ForwardMethod.Tunnel)]
    [InlineData("ipip", ForwardMethod.Tunnel)]
    [InlineData("DR", ForwardMethod.DirectRoute)]
    public void EveryForwardingSpellingOfTheVocabulary(string word, ForwardMethod expected)
    {
        Assert.True(IpvsNames.TryParseForward(word, out var vocabulary));
        Assert.Equal(vocabulary, Intent(("gorb.forward", word)).Forward);
        Assert.Equal(expected, vocabulary);
        // The rendered word reads back through the label.
        Assert.Equal(expected, Intent(("gorb.forward", IpvsNames.Forward(expected))).Forward);
    }

    [Theory]
    [InlineData("tcp", IpvsProtocol.Tcp)]
    [InlineData("UDP", IpvsProtocol.Udp)]
    [InlineData("sctp", IpvsProtocol.Sctp)]
    public void EveryProtocolOfTheVocabularyInThePortsLabel(string word, IpvsProtocol expected)
    {
        var intent = Intent(("gorb.ports", $"80/{word}"));
        Assert.Equal(expected, Assert.Single(intent.Ports).Protocol);
        Assert.Equal($"80/{IpvsNames.Protocol(expected)}", intent.Ports[0].ToString());
    }

    public static TheoryData<string, string> NamedFlags()
    {
        var data = new TheoryData<string, string>();
        foreach (var word in IpvsNames.ServiceFlagWords.Where(w => w.Named))
            data.Add(word.Word, word.Scheduler ?? IpvsNames.DefaultScheduler);
        return data;
    }

    [Theory]
    [MemberData(nameof(NamedFlags))]
    public void EveryNamedFlagWordRoundTripsThroughTheLabel(string word, string scheduler)
    {
        var intent = Intent(("gorb.scheduler", scheduler), ("gorb.flags", word.ToUpperInvariant()));
        Assert.Equal([word], IpvsNames.Flags(intent.Flags, intent.Scheduler));
    }

    [Theory]
    [InlineData("flag-1")]
    [InlineData("flag-2")]
    [InlineData("flag-3")]
    [InlineData("ops")]
    public void KernelFlagWordsAreForStateFilesNotLabels(string word)
    {
        Assert.True(IpvsNames.TryParseFlag(word, out _));
        var error = ContainerLabels.Parse(Container(("gorb.flags", word)), LabelScenario.DefaultOptions).Error;
        Assert.Equal($"unknown flag \"{word}\" (known: {LabelValues.KnownFlags})", error?.Problem);
    }

    [Fact]
    public void TheLabelsFlagHintListsExactlyTheNamedWords()
    {
        Assert.Equal(
            IpvsNames.ServiceFlagWords.Where(w => w.Named).Select(w => w.Word).Order(StringComparer.Ordinal),
            LabelValues.KnownFlags.Split(", ").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void BothShFlagsRenderInIpvsadmOrder()
    {
        var intent = Intent(("gorb.scheduler", "sh"), ("gorb.flags", "sh-port, sh-fallback, one-packet"));
        Assert.Equal(ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.OnePacket, intent.Flags);
        Assert.Equal(["sh-fallback", "sh-port", "one-packet"], IpvsNames.Flags(intent.Flags, intent.Scheduler));
    }
}
