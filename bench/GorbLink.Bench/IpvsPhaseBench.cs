using System.Diagnostics;
using System.Globalization;
using System.Text;
using GorbLink.Core.Planning;
using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;
using GorbLink.Netlink.Generic;
using GorbLink.Netlink.Testing;

namespace GorbLink.Bench;

/// <summary>
/// Where `gorblink ipvs apply` and `ipvs list --json` spend their time, phase by phase, in one process after a warm-up:
/// parse the file, open the socket, dump the table, plan, describe the changes, encode, send and read the ACKs,
/// write the JSON. Natively against a fake kernel that answers like IPVS (the userland share alone), or with
/// --kernel against the real one (in the VM: tests/vm/run 'dotnet bench/.../GorbLink.Bench.dll ipvs-phases --kernel').
/// </summary>
internal static class IpvsPhaseBench
{
    public static async Task RunAsync(int services, int dests, int iterations, bool kernel)
    {
        var path = Path.Combine(Path.GetTempPath(), $"gorblink-phases-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(path, TableJson(services, dests));
        var objects = services * (dests + 1);
        Console.WriteLine($"IPVS phases: {services} services x {dests} destinations = {objects} objects, " +
            $"{(kernel ? "the real kernel" : "a fake kernel (userland only)")}; medians of {iterations} after a warm-up, ms");
        var create = new Phases();
        var noChange = new Phases();
        var fake = kernel ? null : new FakeIpvs();
        for (var i = 0; i <= iterations; i++)
        {
            var warm = i > 0;
            await using (var flusher = await Open(fake)) await flusher.FlushAsync();
            await OnePass(path, fake, warm ? create : null);
            await OnePass(path, fake, warm ? noChange : null);
        }
        await using (var flusher = await Open(fake)) await flusher.FlushAsync();
        File.Delete(path);
        create.Print("create (empty kernel)");
        noChange.Print("re-apply, no change");
    }

    private static async Task OnePass(string path, FakeIpvs? fake, Phases? phases)
    {
        // CPU time and allocated bytes are counted as well as wall time: they depend far less on the machine's load.
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Lap Measure()
        {
            var ms = clock.Elapsed.TotalMilliseconds;
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var nowCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var lap = new Lap(ms, (nowCpu - cpu).TotalMilliseconds, bytes - allocated);
            allocated = bytes;
            cpu = nowCpu;
            clock.Restart();
            return lap;
        }
        var desired = await StateFileReader.ReadFileAsync(path);
        phases?.Add("parse + validate file", Measure());
        await using var client = await Open(fake);
        phases?.Add("open + resolve family", Measure());
        var actual = await client.GetTableAsync();
        phases?.Add("dump table", Measure());
        var plan = IpvsPlanner.Plan(desired, actual);
        phases?.Add("plan", Measure());
        var text = plan.Describe();
        phases?.Add("describe (one line per change)", Measure());
        var operations = plan.Operations;
        var encoded = new NetlinkBuffer(operations.Count * 136);
        foreach (var operation in operations) IpvsCodec.AppendOperation(encoded, 1, operation);
        phases?.Add("encode alone (not part of apply)", Measure());
        if (!plan.IsEmpty)
        {
            var result = await client.ExecuteAsync(operations);
            if (!result.Succeeded) throw new InvalidOperationException(result.Failures[0].Message);
        }
        phases?.Add("encode + send + ACKs", Measure());
        var json = StateFileWriter.Write(actual);
        phases?.Add("list --json: write JSON", Measure());
        GC.KeepAlive(text);
        GC.KeepAlive(json);
        GC.KeepAlive(encoded);
    }

    private static Task<IpvsNetlinkClient> Open(FakeIpvs? fake) =>
        fake is null ? IpvsNetlinkClient.OpenAsync() : IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => new FakeKernel(fake.Answer) { MaxMessagesPerDatagram = 64, RepliesReadyAtOnce = true }));

    /// <summary>The table of bench/ipvs (and bench/ipvs-floor.c), as a state file.</summary>
    private static string TableJson(int services, int dests)
    {
        var json = new StringBuilder("{\"services\":[");
        for (var s = 0; s < services; s++)
        {
            var vip = $"10.{100 + s / 62500}.{s / 250 % 250}.{s % 250 + 1}";
            json.Append(s > 0 ? "," : "").Append(CultureInfo.InvariantCulture,
                $"{{\"protocol\":\"tcp\",\"address\":\"{vip}\",\"port\":80,\"scheduler\":\"wrr\",\"destinations\":[");
            for (var d = 0; d < dests; d++)
                json.Append(d > 0 ? "," : "").Append(CultureInfo.InvariantCulture,
                    $"{{\"address\":\"172.{16 + s / 250 % 16}.{s % 250}.{d + 1}\",\"port\":8080,\"weight\":1}}");
            json.Append("]}");
        }
        return json.Append("]}").ToString();
    }

    private readonly record struct Lap(double Ms, double CpuMs, long Bytes);

    private sealed class Phases
    {
        private readonly Dictionary<string, List<Lap>> _laps = [];
        private readonly List<string> _order = [];

        public void Add(string phase, Lap lap)
        {
            if (!_laps.TryGetValue(phase, out var laps))
            {
                _laps[phase] = laps = [];
                _order.Add(phase);
            }
            laps.Add(lap);
        }

        public void Print(string title)
        {
            Console.WriteLine($"  {title}:{"wall ms",33}{"CPU ms",10}{"MB allocated",14}");
            double total = 0, totalCpu = 0, totalMb = 0;
            foreach (var phase in _order)
            {
                double Median(Func<Lap, double> of) => _laps[phase].Select(of).Order().ElementAt(_laps[phase].Count / 2);
                var (ms, cpu, mb) = (Median(lap => lap.Ms), Median(lap => lap.CpuMs), Median(lap => lap.Bytes) / 1e6);
                if (!phase.Contains("alone", StringComparison.Ordinal)) (total, totalCpu, totalMb) = (total + ms, totalCpu + cpu, totalMb + mb);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {phase,-36} {ms,9:0.0} {cpu,9:0.0} {mb,12:0.00}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {"sum, without the encode-alone line",-36} {total,9:0.0} {totalCpu,9:0.0} {totalMb,12:0.00}"));
        }
    }

    /// <summary>
    /// Answers like IPVS, from the request bytes: NEW_SERVICE/NEW_DEST are kept as sent (their payload is what a dump
    /// returns), GET_SERVICE and GET_DEST dumps return them, FLUSH forgets them, nlctrl resolves "IPVS" to id 42.
    /// </summary>
    private sealed class FakeIpvs
    {
        private const ushort FamilyId = 42;
        private readonly Dictionary<VirtualServiceKey, (byte[] Service, List<byte[]> Dests)> _table = [];
        private readonly List<VirtualServiceKey> _order = [];

        public FakeReply Answer(FakeRequest request)
        {
            if (request.Header.Type == GenericNetlink.ControllerFamilyId) return FakeReply.With(FamilyReply());
            switch (request.Command)
            {
                case IpvsWire.CMD_NEW_SERVICE:
                {
                    var key = ServiceOf(request);
                    if (!_table.TryAdd(key, (request.Payload, []))) return FakeReply.Fail(17);
                    _order.Add(key);
                    return FakeReply.Ack;
                }
                case IpvsWire.CMD_NEW_DEST:
                    _table[ServiceOf(request)].Dests.Add(request.Payload);
                    return FakeReply.Ack;
                case IpvsWire.CMD_GET_SERVICE:
                    return new FakeReply([.. _order.Select(key => _table[key].Service)]);
                case IpvsWire.CMD_GET_DEST:
                    return new FakeReply(_table.TryGetValue(ServiceOf(request), out var entry) ? entry.Dests : []);
                case IpvsWire.CMD_FLUSH:
                    _table.Clear();
                    _order.Clear();
                    return FakeReply.Ack;
                default:
                    return FakeReply.Fail(95);
            }
        }

        private static VirtualServiceKey ServiceOf(FakeRequest request)
        {
            var reader = new NetlinkAttributeReader(request.Attributes);
            while (reader.TryRead(out var type, out var value))
                if (type == IpvsWire.CMD_ATTR_SERVICE) return IpvsCodec.ParseService(value).Service.Key;
            throw new InvalidOperationException("request without a SERVICE nest");
        }

        private static byte[] FamilyReply()
        {
            var buffer = new NetlinkBuffer(64);
            var writer = new NetlinkWriter(buffer);
            Span<byte> header = [GenericNetlink.CTRL_CMD_NEWFAMILY, 1, 0, 0];
            var bytes = new List<byte>(header.ToArray());
            writer.WriteU16(GenericNetlink.CTRL_ATTR_FAMILY_ID, FamilyId);
            writer.WriteString(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "IPVS");
            bytes.AddRange(buffer.WrittenSpan.ToArray());
            return [.. bytes];
        }
    }
}
