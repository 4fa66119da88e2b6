using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Docker;
using GorbLink.Docker.Engine;
using GorbLink.Fuzz.Tests.Support;

namespace GorbLink.Fuzz.Tests.Docker;

/// <summary>
/// The Docker side from the engine's bytes to the desired state, through the production entry points: an inspect
/// answer is read by the client's JSON models, checked, mapped to a container record and built into the desired
/// state; an event line is read and interpreted as the watcher does. Nothing but the JSON reader's own error may
/// escape, and every label rejection names the container, the label and the value.
/// </summary>
public class EngineJsonFuzzTests
{
    private static readonly LabelOptions Labels = LabelOptions.ForInterface([IPAddress.Parse("10.99.0.1"), IPAddress.Parse("2001:db8::1")]);

    private static Gen<string> Texts(string target) => Gen.Frequency(
        (4, JsonMutator.From(Corpus.Text(target))),
        (1, ByteMutator.From(Corpus.Bytes(target)).Select(b => Encoding.UTF8.GetString(b))));

    [Fact]
    public void AnyInspectAnswerMapsAndBuildsOrIsRefusedByTheJsonReader()
    {
        FuzzRun.Run(Texts("inspect"), json =>
        {
            ContainerInspect? inspect;
            try
            {
                inspect = JsonSerializer.Deserialize(json, DockerJsonContext.Default.ContainerInspect);
            }
            catch (JsonException)
            {
                return;
            }
            if (inspect is null || EngineAnswers.Unusable(inspect.Id, inspect) is not null) return;
            var record = ContainerMapper.Map(inspect);
            var desired = new DesiredStateBuilder(Labels).Build([record]);
            foreach (var error in desired.Errors) AssertNamesEverything(error, record.Name);
        });
    }

    private static void AssertNamesEverything(LabelError error, string containerName)
    {
        var message = error.Message;
        Assert.Contains(containerName, message, StringComparison.Ordinal);
        Assert.Contains(error.ShortId, message, StringComparison.Ordinal);
        Assert.False(error.Label is null, $"a label error that names no label: {message}");
        Assert.Contains(error.Label, message, StringComparison.Ordinal);
        Assert.False(error.Value is null, $"a label error that names no value: {message}");
    }

    [Fact]
    public void AnyEventLineIsReadAndInterpretedOrRefusedByTheJsonReader()
    {
        var lifecycles = Enum.GetValues<GorbLink.Core.Containers.ContainerLifecycle>();
        FuzzRun.Run(Gen.Select(Texts("events"), Gen.Int[0, lifecycles.Length - 1], Gen.Long), t =>
        {
            var (line, lifecycle, started) = t;
            DockerEvent? evt;
            try
            {
                evt = JsonSerializer.Deserialize(line, DockerJsonContext.Default.DockerEvent);
            }
            catch (JsonException)
            {
                return;
            }
            if (evt is null) return;
            _ = DockerWatcher.RelevantContainerId(evt);
            _ = DockerTime.EventNanos(evt.TimeNano, evt.Time);
            _ = ContainerMapper.ApplyEvent(lifecycles[lifecycle], evt, started, "SIGTERM");
            _ = ContainerMapper.IsStopIntent(evt, null);
        });
    }
}
