using System.Net;
using GorbLink.Core.Desired;

namespace GorbLink.Core.Tests.Desired;

public sealed class EndpointRulesTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::ffff:10.0.0.1", "10.0.0.1")]
    [InlineData("10.1", null)]
    [InlineData("10", null)]
    [InlineData("0x0a000001", null)]
    [InlineData("0x0a.0.0.1", null)]
    [InlineData("010.0.0.1", null)]
    [InlineData("10.0.0.256", null)]
    [InlineData("10.0.0.1.", null)]
    [InlineData(" 10.0.0.1", null)]
    [InlineData("fe80::1%1", null)]
    [InlineData("[2001:db8::1]", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("example.com", null)]
    public void AddressesParseStrictly(string? text, string? expected)
    {
        var parsed = EndpointRules.TryParseAddress(text, out var address);

        Assert.Equal(expected is not null, parsed);
        if (expected is not null) Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Theory]
    [InlineData("10.1", true)]
    [InlineData("0x0a000001", true)]
    [InlineData("fe80::1%1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("example.com", false)]
    [InlineData("web-1", false)]
    public void WhatLooksLikeAnAddressIsNeverLookedUpAsAName(string text, bool looksLikeAddress) =>
        Assert.Equal(looksLikeAddress, EndpointRules.LooksLikeAddress(text));

    [Theory]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.255", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("10.0.0.1", null)]
    [InlineData("223.255.255.255", null)]
    [InlineData("240.0.0.1", null)]
    [InlineData("2001:db8::1", null)]
    public void OnlyUnicastAddressesAreEndpoints(string text, string? says)
    {
        var problem = EndpointRules.NotUnicast(IPAddress.Parse(text));

        if (says is null) Assert.Null(problem);
        else Assert.Contains(says, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(65535, true)]
    [InlineData(65536, false)]
    [InlineData(70000, false)]
    [InlineData(-1, false)]
    public void WeightsAre0To65535(long weight, bool valid) =>
        Assert.Equal(valid, EndpointRules.BadWeight(weight) is null);
}
