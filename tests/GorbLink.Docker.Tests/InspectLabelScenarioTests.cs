using System.Collections.Immutable;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests;

/// <summary>
/// The label rules as data, end to end: every folder of testassets/inspect-scenarios holds Docker Engine
/// container-inspect JSON (API 1.45 shape, see <see cref="InspectScenario"/>), which goes through the production
/// <see cref="ContainerMapper"/> and <see cref="DesiredStateBuilder"/>; the desired services and the error lines must be
/// the expected ones (the format of Core's testassets/labels). Together the folders cover every row of the label table,
/// the 0.0.0.0 and :: binding rules, and every kind of bad label. No engine needed.
/// Set GORBLINK_UPDATE_SCENARIOS=1 to write the actual results into the source folders (then review the diff).
/// </summary>
public sealed class InspectLabelScenarioTests
{
    public static TheoryData<string> Scenarios() => new(InspectScenario.Names());

    [Fact]
    public void ScenariosExist() =>
        Assert.True(InspectScenario.Names().Count() >= 30, "testassets/inspect-scenarios was not copied to the output");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario(string name)
    {
        var scenario = InspectScenario.Load(name);
        var containers = scenario.MapContainers();
        Assert.NotEmpty(containers);

        var state = new DesiredStateBuilder(scenario.Options).Build(containers);
        var services = LabelScenario.Render(LabelScenario.ToJson(state));
        var errors = LabelScenario.ErrorLines(state);

        if (Environment.GetEnvironmentVariable("GORBLINK_UPDATE_SCENARIOS") == "1")
            LabelScenario.WriteExpected(Path.Combine(InspectScenario.SourceRoot, name), state, services, errors);

        Assert.Equal(scenario.ReadExpectedServices() ?? "[]", services);
        Assert.Equal(scenario.ReadExpectedErrors(), errors);

        // Each label error is one line naming the container (name and short id) and, when a label is at fault, the
        // label and its value as written.
        foreach (var error in state.Errors)
        {
            Assert.DoesNotContain('\n', error.Message);
            Assert.StartsWith($"container {error.ContainerName} ({error.ShortId}): ", error.Message, StringComparison.Ordinal);
            var container = Assert.Single(containers, c => c.Id == error.ContainerId);
            if (error.Label is { } label)
            {
                Assert.Equal(container.Labels[label], error.Value);
                Assert.Contains($"label {label}=\"{error.Value}\": ", error.Message, StringComparison.Ordinal);
            }
        }

        // Order of the containers must not matter, and a rebuild with this result as the previous state changes nothing.
        var reversed = new DesiredStateBuilder(scenario.Options).Build(containers.Reverse());
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(reversed)));
        Assert.Equal(errors, LabelScenario.ErrorLines(reversed));
        var again = new DesiredStateBuilder(scenario.Options).Build(containers.Reverse(), state);
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(again)));
        Assert.Equal(errors, LabelScenario.ErrorLines(again));

        // The same through a ContainerSnapshot, as the reconcile loop calls it.
        var snapshot = new ContainerSnapshot(1, containers.ToImmutableDictionary(c => c.Id));
        Assert.Equal(services, LabelScenario.Render(LabelScenario.ToJson(new DesiredStateBuilder(scenario.Options).Build(snapshot))));
    }
}
