using System.Collections.Immutable;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;

namespace GorbLink.Core.Tests.Labels;

/// <summary>
/// Every folder of testassets/labels: containers in, desired services and error lines out. Each scenario is also
/// built from the containers in reverse order, and rebuilt with its own result as the previous state: both must give
/// the same answer (no dependence on snapshot order, no flapping).
/// Set GORBLINK_UPDATE_SCENARIOS=1 to write the actual results into the source folders (then review the diff).
/// </summary>
public sealed class LabelScenarioTests
{
    public static TheoryData<string> Scenarios() => new(LabelScenario.Names());

    [Fact]
    public void ScenariosExist() => Assert.True(LabelScenario.Names().Count() >= 40, "testassets/labels was not copied to the output");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario(string name)
    {
        var scenario = LabelScenario.Load(name);
        var previous = scenario.PreviousContainers is { } before
            ? new DesiredStateBuilder(scenario.Options).Build(before)
            : null;

        var state = new DesiredStateBuilder(scenario.Options).Build(scenario.Containers, previous);
        var services = LabelScenario.Render(LabelScenario.ToJson(state));
        var errors = LabelScenario.ErrorLines(state);

        if (Environment.GetEnvironmentVariable("GORBLINK_UPDATE_SCENARIOS") == "1")
            LabelScenario.WriteExpected(Path.Combine(LabelScenario.SourceRoot(), name), state, services, errors);

        var expectedServices = scenario.ReadExpectedServices() ?? "[]";
        Assert.Equal(expectedServices, services);
        Assert.Equal(scenario.ReadExpectedErrors(), errors);

        // Order of the containers must not matter.
        var reversed = new DesiredStateBuilder(scenario.Options).Build(scenario.Containers.Reverse(), previous);
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(reversed)));
        Assert.Equal(errors, LabelScenario.ErrorLines(reversed));

        // A rebuild with this result as the previous state changes nothing: no flapping.
        var again = new DesiredStateBuilder(scenario.Options).Build(scenario.Containers.Reverse(), state);
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(again)));
        Assert.Equal(errors, LabelScenario.ErrorLines(again));

        // The same through a ContainerSnapshot, as the reconcile loop calls it.
        var snapshot = new ContainerSnapshot(1, scenario.Containers.ToImmutableDictionary(c => c.Id));
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(new DesiredStateBuilder(scenario.Options).Build(snapshot, previous))));
    }
}
