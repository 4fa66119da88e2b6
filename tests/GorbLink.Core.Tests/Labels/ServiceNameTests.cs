using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;

namespace GorbLink.Core.Tests.Labels;

/// <summary>One rule for service names, whether the name comes from gorb.service or is made from compose labels.</summary>
public sealed class ServiceNameTests
{
    public static TheoryData<string, string?> Names() => new()
    {
        { "shop-web", null },
        { "registry:5000/team/app", null },
        { new string('a', ServiceNames.MaxLength), null },
        { "", "empty service name" },
        { new string('a', ServiceNames.MaxLength + 1), "longer than 255 characters" },
        { "my shop", "a service name must not contain spaces, quotes or control characters" },
        { "we\"b", "a service name must not contain spaces, quotes or control characters" },
        { "tab\there", "a service name must not contain spaces, quotes or control characters" },
        { "bell\u0007", "a service name must not contain spaces, quotes or control characters" },
    };

    private static ContainerRecord Container(params (string Key, string Value)[] labels) => new()
    {
        Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Name = "web-1",
        Image = "nginx:1.27",
        Labels = labels.Prepend(("gorb.enable", "true")).ToImmutableDictionary(l => l.Item1, l => l.Item2),
        PublishedPorts = [new PortBinding(80, "tcp", IPAddress.Any, 32768)],
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void TheServiceLabelFollowsTheRule(string name, string? problem)
    {
        Assert.Equal(problem, ServiceNames.Problem(name));
        // The label's value is trimmed first; a name that is only blanks is empty.
        var result = ContainerLabels.Parse(Container(("gorb.service", name)), LabelScenario.DefaultOptions);
        Assert.Equal(problem, result.Error?.Problem);
        if (problem is not null) Assert.Equal("gorb.service", result.Error!.Label);
    }

    [Theory]
    [InlineData("my shop", "web", "com.docker.compose.project")]
    [InlineData("shop", "we\"b", "com.docker.compose.service")]
    [InlineData("shop", "web\u0001", "com.docker.compose.service")]
    public void ADefaultNameFromComposeLabelsFollowsTheRuleAndNamesTheLabel(string project, string service, string label)
    {
        var container = Container(("com.docker.compose.project", project), ("com.docker.compose.service", service));
        var error = ContainerLabels.Parse(container, LabelScenario.DefaultOptions).Error;

        Assert.NotNull(error);
        Assert.Equal(label, error.Label);
        Assert.Equal(container.Labels[label], error.Value);
        Assert.Equal(
            $"the default service name \"{project}-{service}\" made from the compose labels is unusable: " +
            "a service name must not contain spaces, quotes or control characters; set gorb.service",
            error.Problem);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(300, 3, "com.docker.compose.project")]
    [InlineData(3, 300, "com.docker.compose.service")]
    [InlineData(130, 130, "com.docker.compose.project")]
    public void ADefaultNameTooLongNamesTheLongerComposeLabel(int projectLength, int serviceLength, string label)
    {
        var container = Container(
            ("com.docker.compose.project", new string('p', projectLength)),
            ("com.docker.compose.service", new string('s', serviceLength)));
        var error = ContainerLabels.Parse(container, LabelScenario.DefaultOptions).Error;

        Assert.NotNull(error);
        Assert.Equal(label, error.Label);
        Assert.EndsWith("is unusable: longer than 255 characters; set gorb.service", error.Problem, StringComparison.Ordinal);
        Assert.True(error.Problem.Length < 200, error.Problem);
    }

    [Fact]
    public void AnExplicitServiceLabelWinsOverBadComposeLabels()
    {
        var container = Container(("gorb.service", "shop-web"), ("com.docker.compose.project", "my shop"), ("com.docker.compose.service", "web"));
        Assert.Equal("shop-web", ContainerLabels.Parse(container, LabelScenario.DefaultOptions).Intent?.ServiceName);
    }

    [Fact]
    public void AnEmptyDefaultFromTheContainerNameIsRefusedAndSaysWhichLabelFixesIt()
    {
        var container = Container() with { Name = "", Image = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
        var error = ContainerLabels.Parse(container, LabelScenario.DefaultOptions).Error;

        Assert.NotNull(error);
        // No label made the name: the line names the label that opted the container in.
        Assert.Equal("gorb.enable", error.Label);
        Assert.Equal("true", error.Value);
        Assert.Equal(
            "no gorb.service label, and the default service name \"\" (from the image or container name) is unusable: " +
            "empty service name; set gorb.service",
            error.Problem);
    }
}
