using GorbLink.Core.Planning;
using GorbLink.Core.StateFiles;

namespace GorbLink.Core.Tests.StateFiles;

/// <summary>
/// One folder per scenario under testassets/statefiles: input.json plus either expected-errors.txt (one error per line,
/// in order) or expected.json (what <see cref="StateFileWriter"/> writes for the parsed services: defaults filled in).
/// </summary>
public sealed class StateFileScenarioTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "testassets", "statefiles");

    public static TheoryData<string> Scenarios() =>
        new(Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    [Fact]
    public void EveryScenarioHasExactlyOneExpectation()
    {
        var folders = Directory.GetDirectories(Root);
        Assert.True(folders.Length >= 20, $"only {folders.Length} scenarios found under {Root}");
        Assert.All(folders, folder => Assert.True(
            File.Exists(Path.Combine(folder, "input.json"))
            && File.Exists(Path.Combine(folder, "expected-errors.txt")) != File.Exists(Path.Combine(folder, "expected.json")),
            $"{folder} needs input.json and exactly one of expected-errors.txt, expected.json"));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario(string name)
    {
        var folder = Path.Combine(Root, name);
        var input = File.ReadAllText(Path.Combine(folder, "input.json"));
        var expectedErrorsPath = Path.Combine(folder, "expected-errors.txt");

        if (File.Exists(expectedErrorsPath))
        {
            var expected = File.ReadAllLines(expectedErrorsPath).Where(line => line.Length > 0).ToList();
            var error = Assert.Throws<StateFileException>(() => StateFileReader.Parse(input, "input.json"));
            Assert.Equal(expected, error.Errors);
            return;
        }

        var services = StateFileReader.Parse(input, "input.json");
        var expectedJson = File.ReadAllText(Path.Combine(folder, "expected.json")).ReplaceLineEndings("\n");
        Assert.Equal(expectedJson, StateFileWriter.Write(KernelTables.Tables([.. services])));

        // Applying the file to a kernel that already holds it changes nothing.
        var readback = services.Select(KernelTables.Readback).ToList();
        Assert.True(IpvsPlanner.Plan(services, readback).IsEmpty, IpvsPlanner.Plan(services, readback).Describe());
    }
}
