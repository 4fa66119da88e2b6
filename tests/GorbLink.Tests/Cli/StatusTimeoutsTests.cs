using System.Text;
using GorbLink.Cli;
using GorbLink.Core.Status;

namespace GorbLink.Tests.Cli;

/// <summary>`gorblink status` shows the kernel's IPVS timeouts (text and --json) when it could read them.</summary>
public class StatusTimeoutsTests
{
    private static readonly AgentStatus Status = new() { AgentVersion = "1.0", LabelPrefix = "gorb", Written = DateTimeOffset.UnixEpoch };

    [Fact]
    public void TextShowsThemOnOneLine()
    {
        var text = StatusCommand.Render(Status with { IpvsTimeouts = new IpvsTimeoutsStatus(3600, 120, 300) }, live: true);
        Assert.Contains("IPVS timeouts (host-wide): tcp 3600 s, tcpfin 120 s, udp 300 s\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void TextLeavesThemOutWhenTheKernelWasNotRead() =>
        Assert.DoesNotContain("IPVS timeouts", StatusCommand.Render(Status, live: false), StringComparison.Ordinal);

    [Fact]
    public void JsonHasThemAndReadsThemBack()
    {
        var json = Encoding.UTF8.GetString(StatusFile.Serialize(Status with { IpvsTimeouts = new IpvsTimeoutsStatus(3600, 120, 60) }));
        Assert.Contains("\"ipvsTimeouts\": {", json, StringComparison.Ordinal);
        Assert.Contains("\"tcpFin\": 120", json, StringComparison.Ordinal);
        Assert.Equal(new IpvsTimeoutsStatus(3600, 120, 60), StatusFile.Parse(Encoding.UTF8.GetBytes(json), "test").IpvsTimeouts);
    }
}
