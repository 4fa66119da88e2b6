using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs.Tests.Model;

/// <summary>The one vocabulary: every word renders to a spelling its parser takes back, and the tables say which spellings exist.</summary>
public sealed class IpvsNamesTests
{
    public static TheoryData<IpvsProtocol, string> Protocols() => new()
    {
        { IpvsProtocol.Tcp, "tcp" },
        { IpvsProtocol.Udp, "udp" },
        { IpvsProtocol.Sctp, "sctp" },
    };

    [Theory]
    [MemberData(nameof(Protocols))]
    public void ProtocolsRoundTripAndIgnoreCase(IpvsProtocol protocol, string word)
    {
        Assert.Equal(word, IpvsNames.Protocol(protocol));
        Assert.True(IpvsNames.TryParseProtocol(IpvsNames.Protocol(protocol), out var parsed));
        Assert.Equal(protocol, parsed);
        Assert.True(IpvsNames.TryParseProtocol(word.ToUpperInvariant(), out parsed));
        Assert.Equal(protocol, parsed);
        Assert.Contains(word, IpvsNames.KnownProtocols.Split(", "));
    }

    [Theory]
    [InlineData("icmp")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData(" tcp")]
    public void UnknownProtocolsAreRefused(string? text) => Assert.False(IpvsNames.TryParseProtocol(text, out _));

    public static TheoryData<ForwardMethod, string, string[]> ForwardMethods() => new()
    {
        { ForwardMethod.Nat, "nat", ["masq", "NAT"] },
        { ForwardMethod.DirectRoute, "dr", ["droute", "DR"] },
        { ForwardMethod.Tunnel, "tunnel", ["tun", "ipip", "Tunnel"] },
    };

    [Theory]
    [MemberData(nameof(ForwardMethods))]
    public void ForwardingMethodsRoundTripWithTheirAliases(ForwardMethod method, string word, string[] aliases)
    {
        Assert.Equal(word, IpvsNames.Forward(method));
        Assert.True(IpvsNames.TryParseForward(IpvsNames.Forward(method), out var parsed));
        Assert.Equal(method, parsed);
        foreach (var alias in aliases)
        {
            Assert.True(IpvsNames.TryParseForward(alias, out parsed), alias);
            Assert.Equal(method, parsed);
        }
        Assert.Contains(word, IpvsNames.KnownForwardMethods.Split(", "));
    }

    [Theory]
    [InlineData(ForwardMethod.Local, "local")]
    [InlineData(ForwardMethod.Bypass, "bypass")]
    public void KernelOnlyForwardingMethodsRenderButAreNotAskedFor(ForwardMethod method, string word)
    {
        Assert.Equal(word, IpvsNames.Forward(method));
        Assert.False(IpvsNames.TryParseForward(word, out _));
    }

    [Fact]
    public void EveryMainlineSchedulerRoundTripsAndCaseMattersOnlyWhenAsked()
    {
        Assert.Contains(IpvsNames.DefaultScheduler, IpvsNames.MainlineSchedulers);
        Assert.DoesNotContain(IpvsNames.NoScheduler, IpvsNames.MainlineSchedulers);
        Assert.Equal(string.Join(", ", IpvsNames.MainlineSchedulers), IpvsNames.KnownSchedulers);
        foreach (var scheduler in IpvsNames.MainlineSchedulers)
        {
            Assert.True(IpvsNames.TryParseScheduler(scheduler, ignoreCase: false, out var exact));
            Assert.Equal(scheduler, exact);
            Assert.True(IpvsNames.TryParseScheduler(scheduler.ToUpperInvariant(), ignoreCase: true, out var folded));
            Assert.Equal(scheduler, folded);
            Assert.False(IpvsNames.TryParseScheduler(scheduler.ToUpperInvariant(), ignoreCase: false, out _));
        }
        Assert.False(IpvsNames.TryParseScheduler("xyz", ignoreCase: true, out _));
        Assert.False(IpvsNames.TryParseScheduler(IpvsNames.NoScheduler, ignoreCase: true, out _));
    }

    /// <summary>Every settable combination of SCHED1..3 and one-packet.</summary>
    [Theory]
    [MemberData(nameof(VocabularyData.FlagCombinations), MemberType = typeof(VocabularyData))]
    public void FlagsRoundTripForEveryScheduler(string scheduler, ServiceFlags flags)
    {
        var words = IpvsNames.Flags(flags, scheduler);
        var parsed = ServiceFlags.None;
        foreach (var word in words)
        {
            Assert.True(IpvsNames.TryParseFlag(word, out var flag), word);
            Assert.True(IpvsNames.TryParseFlag(word.AsSpan(), FlagWordSet.All, out var entry));
            // A word that names a scheduler is only ever written for that scheduler.
            Assert.True(entry.Scheduler is null || entry.Scheduler == scheduler, $"{word} for {scheduler}");
            parsed |= flag;
        }
        Assert.Equal(flags, parsed);
        Assert.Equal(words.Count, words.Distinct().Count());
    }

    [Theory]
    [InlineData("sh", ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3 | ServiceFlags.OnePacket, "sh-fallback,sh-port,flag-3,one-packet")]
    [InlineData("mh", ServiceFlags.Sched2 | ServiceFlags.Sched1, "mh-fallback,mh-port")]
    [InlineData("rr", ServiceFlags.Sched2 | ServiceFlags.Sched1, "flag-1,flag-2")]
    [InlineData("wrr", ServiceFlags.None, "none")]
    [InlineData("sh", ServiceFlags.Persistent, "none")]
    public void FlagsRenderInIpvsadmOrderNamedAfterTheScheduler(string scheduler, ServiceFlags flags, string expected)
    {
        Assert.Equal(expected, IpvsNames.Words(IpvsNames.Flags(flags, scheduler)));
        Assert.DoesNotContain("one-packet", IpvsNames.SchedulerFlags(flags, scheduler));
    }

    [Theory]
    [InlineData("sh-port", FlagWordSet.Named, ServiceFlags.Sched2, "sh")]
    [InlineData("SH-FALLBACK", FlagWordSet.Named, ServiceFlags.Sched1, "sh")]
    [InlineData("mh-port", FlagWordSet.Named, ServiceFlags.Sched2, "mh")]
    [InlineData("mh-fallback", FlagWordSet.Named, ServiceFlags.Sched1, "mh")]
    [InlineData("one-packet", FlagWordSet.Named, ServiceFlags.OnePacket, null)]
    [InlineData("flag-1", FlagWordSet.All, ServiceFlags.Sched1, null)]
    [InlineData("flag-2", FlagWordSet.All, ServiceFlags.Sched2, null)]
    [InlineData("flag-3", FlagWordSet.All, ServiceFlags.Sched3, null)]
    [InlineData("ops", FlagWordSet.All, ServiceFlags.OnePacket, null)]
    public void FlagWordsAndTheSetsThatTakeThem(string text, FlagWordSet smallestSet, ServiceFlags flag, string? scheduler)
    {
        Assert.True(IpvsNames.TryParseFlag(text.AsSpan(), FlagWordSet.All, out var word));
        Assert.Equal(flag, word.Flag);
        Assert.Equal(scheduler, word.Scheduler);
        Assert.Equal(smallestSet == FlagWordSet.Named, IpvsNames.TryParseFlag(text.AsSpan(), FlagWordSet.Named, out _));
    }

    [Fact]
    public void KnownFlagsListsEveryTableWordOnce()
    {
        Assert.Equal(
            "sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3, one-packet",
            IpvsNames.KnownFlags);
        Assert.False(IpvsNames.TryParseFlag("sticky", out _));
        Assert.False(IpvsNames.TryParseFlag("persistent", out _));
    }

    [Theory]
    [InlineData(TunnelType.Ipip, "ipip")]
    [InlineData(TunnelType.Gue, "gue")]
    [InlineData(TunnelType.Gre, "gre")]
    public void TunnelTypesRoundTrip(TunnelType type, string word)
    {
        Assert.Equal(word, IpvsNames.Tunnel(type));
        Assert.True(IpvsNames.TryParseTunnel(word, out var parsed));
        Assert.Equal(type, parsed);
    }

    [Theory]
    [InlineData(TunnelFlags.NoChecksum, "none")]
    [InlineData(TunnelFlags.Checksum, "csum")]
    [InlineData(TunnelFlags.RemoteChecksum, "remcsum")]
    [InlineData(TunnelFlags.Checksum | TunnelFlags.RemoteChecksum, "csum,remcsum")]
    public void TunnelFlagsRoundTrip(TunnelFlags flags, string expected)
    {
        var words = IpvsNames.TunnelFlagWords(flags);
        Assert.Equal(expected, IpvsNames.Words(words));
        var parsed = TunnelFlags.NoChecksum;
        foreach (var word in words)
        {
            Assert.True(IpvsNames.TryParseTunnelFlag(word, out var flag));
            parsed |= flag;
        }
        Assert.Equal(flags, parsed);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork, "inet", 32)]
    [InlineData(AddressFamily.InterNetworkV6, "inet6", 128)]
    public void FamiliesRoundTrip(AddressFamily family, string word, int hostPrefix)
    {
        Assert.Equal(word, IpvsNames.Family(family));
        Assert.True(IpvsNames.TryParseFamily(word, out var parsed));
        Assert.Equal(family, parsed);
        Assert.Equal(hostPrefix, IpvsNames.HostPrefixLength(family));
    }

    [Fact]
    public void EndpointsBracketIPv6()
    {
        Assert.Equal("10.0.0.1:80", IpvsNames.Endpoint(IPAddress.Parse("10.0.0.1"), 80));
        Assert.Equal("[2001:db8::1]:80", IpvsNames.Endpoint(IPAddress.Parse("2001:db8::1"), 80));
    }
}
