using GorbLink.Remote.Client;

namespace GorbLink.Remote.Tests.Client;

public sealed class RemoteOwnershipTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("gorblink-remote-owned-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void AFileWrittenByAnEarlierVersionLoadsAndIsWrittenBackInTheSameFormat()
    {
        var path = PathOf("remote-dir1_4672.json");
        // As GorbLink wrote it before the pipeline redesign (format version 1).
        File.WriteAllText(path, """
            {"version":1,"agent":"gorblink","daemon":"dir1:4672","written":"2026-01-02T03:04:05+00:00","services":["web-80-tcp"],
             "backends":[{"id":"web-1-32768-tcp","service":"web-80-tcp","weight":100},{"id":"web-2-32769-tcp","service":"web-80-tcp"}]}
            """);
        var owned = new RemoteOwnership(path, "dir1:4672");

        owned.Load();

        Assert.Equal(["web-80-tcp"], owned.Services);
        Assert.Equal(new OwnedBackend("web-80-tcp", 100), owned.Backends["web-1-32768-tcp"]);
        Assert.Equal(new OwnedBackend("web-80-tcp", null), owned.Backends["web-2-32769-tcp"]);

        owned.RemoveBackend("web-2-32769-tcp");
        owned.Save();
        var again = new RemoteOwnership(path, "dir1:4672");
        again.Load();
        Assert.Equal(["web-1-32768-tcp"], again.Backends.Keys);
        Assert.Empty(_directory.GetFiles(".*.tmp")); // replaced atomically: no temporary file left behind
        using var written = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(1, written.RootElement.GetProperty("version").GetInt32());
        var backend = Assert.Single(written.RootElement.GetProperty("backends").EnumerateArray());
        Assert.Equal(("web-1-32768-tcp", "web-80-tcp", 100),
            (backend.GetProperty("id").GetString(), backend.GetProperty("service").GetString(), backend.GetProperty("weight").GetInt32()));
    }

    [Theory]
    [InlineData("garbage", "is not valid JSON")]
    [InlineData("""{"version":2}""", "format version 2")]
    [InlineData("""{"version":1,"services":[""]}""", "a service id is empty")]
    public void ADamagedFileIsAnErrorNamingTheFile(string content, string problem)
    {
        var path = PathOf("remote-dir1_4672.json");
        File.WriteAllText(path, content);

        var e = Assert.Throws<RemoteOwnershipException>(() => new RemoteOwnership(path, "dir1:4672").Load());

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void NoFileMeansNothingIsOwned()
    {
        var owned = new RemoteOwnership(PathOf("missing/remote-dir1_4672.json"), "dir1:4672");
        owned.Load();
        Assert.Empty(owned.Services);
        Assert.Empty(owned.Backends);
    }
}
