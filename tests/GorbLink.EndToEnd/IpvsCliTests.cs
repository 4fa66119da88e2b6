namespace GorbLink.EndToEnd;

/// <summary>`gorblink ipvs` as a user runs it, against the real kernel, checked with ipvsadm.</summary>
public class IpvsCliTests
{
    private const string Table = """
        {"services":[
          {"protocol":"tcp","address":"10.0.0.1","port":80,"scheduler":"wrr",
           "destinations":[{"address":"10.1.0.1","port":8080,"weight":3},{"address":"10.1.0.2","port":8080}]},
          {"protocol":"udp","address":"10.0.0.1","port":53,"scheduler":"sh","flags":["sh-port"],"persistence":300,"netmask":"255.255.255.0",
           "destinations":[{"address":"10.1.0.3","port":53,"forward":"dr"}]},
          {"fwmark":7,"family":"inet6","scheduler":"rr",
           "destinations":[{"address":"fd00::2","port":0,"forward":"tunnel","tunnel":"gue","tunnelPort":6080}]}
        ]}
        """;

    private static void Clean()
    {
        Vm.RequireIpvs();
        Vm.Sh("ipvsadm -C");
    }

    [Fact]
    public void ApplyCreatesExactlyTheFileAndASecondApplyChangesNothing()
    {
        Clean();
        var file = Vm.WriteTemp("table.json", Table);
        var first = Vm.Run(Vm.Gorblink, "ipvs", "apply", file);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("tcp 10.0.0.1:80", first.Output);
        var save = Vm.IpvsadmSave();
        Assert.Contains("-A -t 10.0.0.1:80 -s wrr", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 3", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.2:8080 -m -w 1", save);
        Assert.Contains("-A -u 10.0.0.1:53 -s sh -p 300 -M 255.255.255.0 -b sh-port", save);
        Assert.Contains("-a -u 10.0.0.1:53 -r 10.1.0.3:53 -g -w 1", save);
        Assert.Contains("-A -f 7 -6 -s rr", save);
        Assert.Equal(7, save.Length);

        var second = Vm.Run(Vm.Gorblink, "ipvs", "apply", file);
        Assert.Equal((0, "no changes"), (second.ExitCode, second.Output.Trim()));
    }

    [Fact]
    public void ListJsonFeedsBackIntoApplyWithoutChangesAndTextListLooksLikeIpvsadm()
    {
        Clean();
        Assert.Equal(0, Vm.Run(Vm.Gorblink, "ipvs", "apply", Vm.WriteTemp("table.json", Table)).ExitCode);
        var json = Vm.Run(Vm.Gorblink, "ipvs", "list", "--json");
        Assert.Equal(0, json.ExitCode);
        var again = Vm.RunWithInput(Vm.Gorblink, json.Output, "ipvs", "apply", "-");
        Assert.Equal((0, "no changes"), (again.ExitCode, again.Output.Trim()));

        var text = Vm.Run(Vm.Gorblink, "ipvs", "list");
        Assert.Contains("TCP  10.0.0.1:80 wrr", text.Output);
        Assert.Matches(@"-> 10\.1\.0\.1:8080\s+Masq\s+3", text.Output);
    }

    [Fact]
    public void ApplyUpdatesInPlaceAndLeavesUnlistedServicesAloneUnlessPruning()
    {
        Clean();
        Vm.Sh("ipvsadm -A -t 10.9.9.9:22 -s rr && ipvsadm -a -t 10.9.9.9:22 -r 10.8.0.1:22 -m");
        Assert.Equal(0, Vm.Run(Vm.Gorblink, "ipvs", "apply", Vm.WriteTemp("table.json", Table)).ExitCode);
        var changed = Table.Replace("\"weight\":3", "\"weight\":9").Replace("{\"address\":\"10.1.0.2\",\"port\":8080}", "{\"address\":\"10.1.0.4\",\"port\":8080}");
        var update = Vm.Run(Vm.Gorblink, "ipvs", "apply", Vm.WriteTemp("changed.json", changed));
        Assert.True(update.ExitCode == 0, update.ToString());
        var save = Vm.IpvsadmSave();
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 9", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.4:8080 -m -w 1", save);
        Assert.DoesNotContain(save, l => l.Contains("10.1.0.2"));
        Assert.Contains("-A -t 10.9.9.9:22 -s rr", save);

        var prune = Vm.Run(Vm.Gorblink, "ipvs", "apply", "--prune", Vm.WriteTemp("changed.json", changed));
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.DoesNotContain(Vm.IpvsadmSave(), l => l.Contains("10.9.9.9"));
    }

    [Fact]
    public void InvalidFileIsRejectedBeforeAnythingIsWritten()
    {
        Clean();
        var bad = Table.Replace("\"scheduler\":\"rr\"", "\"scheduler\":\"xyz\"").Replace("\"address\":\"10.1.0.3\"", "\"address\":\"fd00::3\"");
        var result = Vm.Run(Vm.Gorblink, "ipvs", "apply", Vm.WriteTemp("bad.json", bad));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("field \"scheduler\": unknown scheduler \"xyz\"", result.Error);
        Assert.Contains("services[1] (udp 10.0.0.1:53) destinations[0] ([fd00::3]:53): field \"address\": IPv6 address on an IPv4 service", result.Error);
        Assert.Empty(Vm.IpvsadmSave());
    }

    [Fact]
    public void FlushEmptiesTheTable()
    {
        Clean();
        Vm.Sh("ipvsadm -A -t 10.9.9.9:22 -s rr");
        var result = Vm.Run(Vm.Gorblink, "ipvs", "flush");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(Vm.IpvsadmSave());
    }

    [Fact]
    public void WithoutCapNetAdminTheErrorSaysSoAndTheExitCodeIsFive()
    {
        Clean();
        // uid 65534 cannot reach a checkout under root's home (mode 0700): the apphost would die with SIGTRAP before
        // GorbLink runs. A world-readable copy of the build output makes the test independent of where the clone lives.
        var output = Path.GetDirectoryName(Vm.Gorblink)!;
        const string copy = "/tmp/gorblink-unprivileged";
        Vm.Sh($"rm -rf {copy} && cp -r '{output}' {copy} && chmod -R a+rX {copy}");
        var result = Vm.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", $"{copy}/gorblink", "ipvs", "list");
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("CAP_NET_ADMIN", result.Error);
    }
}
