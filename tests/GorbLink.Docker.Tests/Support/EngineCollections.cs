using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(GorbLink.Docker.Tests.Support.EngineRestartLastOrderer))]

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// Restarts the engine: must not overlap with anything. xunit runs collections with parallelization disabled after
/// all parallel ones, and <see cref="EngineRestartLastOrderer"/> puts this one at the very end.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection
{
    public const string Name = "Engine restart (runs alone, last)";
}

/// <summary>Asserts that nothing changes in the store, so no other test may touch the engine meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuietEngineCollection
{
    public const string Name = "Quiet engine (runs alone)";
}

/// <summary>Keeps xunit's default collection order but moves the engine-restart collection to the end.</summary>
public sealed class EngineRestartLastOrderer : ITestCollectionOrderer
{
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection
    {
        var ordered = DefaultTestCollectionOrderer.Instance.OrderTestCollections(testCollections);
        return [.. ordered.Where(c => c.TestCollectionDisplayName != EngineCollection.Name),
            .. ordered.Where(c => c.TestCollectionDisplayName == EngineCollection.Name)];
    }
}
