using GorbLink.Remote.Metrics;

namespace GorbLink.Remote.Tests.Metrics;

/// <summary>Each instrument's cardinality limit: objects covered times series per object, a few dozen for the rest.</summary>
public class SeriesLimitsTests
{
    [Theory]
    [InlineData("gorblink.ipvs.destination.connections", SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.destination.active_connections", SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.destination.inactive_connections", SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.destination.weight", SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.destination.packets", 2 * SeriesLimits.DefaultDestinations)] // in and out
    [InlineData("gorblink.ipvs.destination.bytes", 2 * SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.service.connections", SeriesLimits.DefaultServices)]
    [InlineData("gorblink.ipvs.service.packets", 2 * SeriesLimits.DefaultServices)]
    [InlineData("gorblink.ipvs.service.bytes", 2 * SeriesLimits.DefaultServices)]
    [InlineData("gorb.service.health", SeriesLimits.DefaultServices)]
    [InlineData("gorb.service.backends", SeriesLimits.DefaultServices)]
    [InlineData("gorb.service.backend.uptime", SeriesLimits.DefaultDestinations)]
    [InlineData("gorb.service.backend.weight", SeriesLimits.DefaultDestinations)]
    [InlineData("gorblink.ipvs.services", SeriesLimits.Other)] // one series, not one per service
    [InlineData("gorblink.ipvs.up", SeriesLimits.Other)]
    [InlineData("gorblink.errors", SeriesLimits.Other)]
    [InlineData("gorblink.sync_daemon", SeriesLimits.Other)]
    public void TheLimitIsTheObjectsCoveredTimesTheirSeries(string instrument, int limit) =>
        Assert.Equal(limit, SeriesLimits.Default.For(instrument));
}
