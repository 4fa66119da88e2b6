namespace GorbLink.Docker.Tests;

public sealed class DockerEndpointTests
{
    [Theory]
    [InlineData("unix:///run/flag.sock", "tcp://env:2375", "unix:///run/flag.sock")] // the flag wins
    [InlineData(null, "tcp://env:2375", "tcp://env:2375/")] // then DOCKER_HOST
    [InlineData("", "unix:///run/env.sock", "unix:///run/env.sock")]
    [InlineData("  ", null, "unix:///var/run/docker.sock")] // then the default
    [InlineData(null, "", "unix:///var/run/docker.sock")]
    [InlineData("/run/bare.sock", null, "unix:///run/bare.sock")] // a bare path is a unix socket
    [InlineData(null, "https://docker.example:2376", "https://docker.example:2376/")]
    public void ResolveOrder(string? flag, string? env, string expected)
    {
        Assert.Equal(new Uri(expected), DockerEndpoint.Resolve(flag, env));
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("not a uri")]
    [InlineData("unix://")]
    [InlineData("ftp://host")]
    public void BadEndpointsAreRejectedWithTheSourceNamed(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => DockerEndpoint.Resolve(value, null));
        Assert.Contains("--docker-host", ex.Message, StringComparison.Ordinal);
        var fromEnv = Assert.Throws<ArgumentException>(() => DockerEndpoint.Resolve(null, value));
        Assert.Contains("DOCKER_HOST", fromEnv.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveReadsTheProcessEnvironment()
    {
        // Only checks the overload wiring; the value depends on the machine.
        var expected = DockerEndpoint.Resolve(null, Environment.GetEnvironmentVariable("DOCKER_HOST"));
        Assert.Equal(expected, DockerEndpoint.Resolve(null));
    }
}
