using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>
/// Reads one container's labels, in the order of <see cref="ContainerLabels.Names"/>: find our labels, opt in, then
/// each value (<see cref="LabelValues"/>), then network, ports and endpoints (LabelReader.Endpoints.cs). The first
/// problem found is the result. Single use: one reader per <see cref="ContainerLabels.Parse"/>.
/// </summary>
internal sealed partial class LabelReader
{
    private const int EnableIx = 0, ServiceIx = 1, VipIx = 2, PortsIx = 3, SchedulerIx = 4, ForwardIx = 5, WeightIx = 6,
        PersistenceIx = 7, FlagsIx = 8, BackendIx = 9, NetworkIx = 10, LabelCount = 11;

    private readonly ContainerRecord _c;
    private readonly LabelOptions _o;
    private readonly string?[] _values = new string?[LabelCount];
    private readonly string?[] _keys = new string?[LabelCount];

    public LabelReader(ContainerRecord container, LabelOptions options)
    {
        _c = container;
        _o = options;
    }

    /// <summary>The settings read from single labels, before ports and networks are resolved.</summary>
    private sealed record Settings(
        string ServiceName, IPAddress Vip, string Scheduler, ServiceFlags Flags, uint Persistence,
        ForwardMethod Forward, int Weight, BackendMode Backend);

    private string Key(int ix) => _keys[ix] ?? ContainerLabels.LabelName(_o, ContainerLabels.Names[ix]);

    private string LabelName(string name) => ContainerLabels.LabelName(_o, name);

    private LabelParseResult Fail(int ix, string problem) => LabelParseResult.Of(LabelError.For(_c, Key(ix), _values[ix], problem));

    /// <summary>
    /// A problem of the container as a whole (its ports, networks, the defaults it gets): named with the label that
    /// opted it in (gorb.enable, else the first of ours it carries), so that the one line still says which label made
    /// GorbLink read it. Only a container opted in by --expose-by-default alone has no label to name.
    /// </summary>
    private LabelParseResult Fail(string problem)
    {
        var ix = _values[EnableIx] is not null ? EnableIx : Array.FindIndex(_values, v => v is not null);
        return ix < 0
            ? LabelParseResult.Of(LabelError.For(_c, null, null, problem))
            : Fail(ix, problem);
    }

    private LabelParseResult? FailIf(int ix, string? problem) => problem is null ? null : Fail(ix, problem);

    public LabelParseResult Read()
    {
        var (anyOurs, unknownKey, duplicateKey) = FindLabels();

        // Opt-in. enable=false always opts out, whatever else the labels say.
        if (_values[EnableIx] is { } enableText)
        {
            if (!LabelValues.TryParseBool(enableText, out var enabled)) return Fail(EnableIx, "not a boolean (true or false)");
            if (!enabled) return LabelParseResult.Ignored;
        }
        else if (!_o.ExposeByDefault)
        {
            return LabelParseResult.Ignored;
        }

        if (unknownKey is not null) return UnknownLabel(unknownKey);
        if (duplicateKey is not null)
        {
            var ix = LabelNameSuggestion.IndexOf(duplicateKey.AsSpan(_o.Prefix.Length + 1));
            return LabelParseResult.Of(LabelError.For(_c, duplicateKey, _c.Labels[duplicateKey],
                $"the same label as {_keys[ix]} (label names are case-insensitive); keep one"));
        }

        var settingsError = ReadSettings(out var settings);
        if (settingsError is { } error) return error;
        return ReadEndpoints(settings!, explicitlyEnrolled: anyOurs);
    }

    /// <summary>One pass over the labels: pick ours, remember the first unknown and any name given twice.</summary>
    private (bool AnyOurs, string? UnknownKey, string? DuplicateKey) FindLabels()
    {
        var prefix = _o.Prefix;
        string? unknownKey = null, duplicateKey = null;
        var anyOurs = false;
        foreach (var (key, value) in _c.Labels)
        {
            if (key.Length <= prefix.Length + 1 || key[prefix.Length] != '.' ||
                !key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                continue;
            anyOurs = true;
            var ix = LabelNameSuggestion.IndexOf(key.AsSpan(prefix.Length + 1));
            if (ix < 0)
            {
                if (unknownKey is null || string.CompareOrdinal(key, unknownKey) < 0) unknownKey = key;
                continue;
            }
            if (_keys[ix] is { } existing)
            {
                // Same name in two spellings: keep the ordinally first, report the other; independent of label order.
                string later;
                if (string.CompareOrdinal(key, existing) < 0) { later = existing; _keys[ix] = key; _values[ix] = value; }
                else later = key;
                if (duplicateKey is null || string.CompareOrdinal(later, duplicateKey) < 0) duplicateKey = later;
                continue;
            }
            _keys[ix] = key;
            _values[ix] = value;
        }
        return (anyOurs, unknownKey, duplicateKey);
    }

    private LabelParseResult UnknownLabel(string unknownKey)
    {
        var suggestion = LabelNameSuggestion.Suggest(unknownKey.AsSpan(_o.Prefix.Length + 1));
        var known = string.Join(", ", ContainerLabels.Names.Select(LabelName));
        return LabelParseResult.Of(LabelError.For(_c, unknownKey, _c.Labels[unknownKey],
            suggestion is null
                ? $"unknown label (known: {known})"
                : $"unknown label; did you mean {LabelName(suggestion)}? (known: {known})"));
    }

    /// <returns>Null with <paramref name="settings"/> set, or the first problem.</returns>
    private LabelParseResult? ReadSettings(out Settings? settings)
    {
        settings = null;

        string serviceName;
        if (_values[ServiceIx] is { } serviceText)
        {
            if (FailIf(ServiceIx, LabelValues.ParseServiceName(serviceText, out serviceName)) is { } e) return e;
        }
        else if (DefaultServiceName(out serviceName) is { } e)
        {
            return e;
        }

        IPAddress vip;
        if (_values[VipIx] is { } vipText)
        {
            if (FailIf(VipIx, LabelValues.ParseVip(vipText, out vip)) is { } e) return e;
        }
        else if (_o.EffectiveDefaultVip is { } defaultVip)
        {
            vip = defaultVip.IsIPv4MappedToIPv6 ? defaultVip.MapToIPv4() : defaultVip;
        }
        else
        {
            return Fail($"no {LabelName(ContainerLabels.Vip)} label, and the interface has no IPv4 address to use as the default VIP");
        }

        var scheduler = ContainerLabels.DefaultScheduler;
        if (_values[SchedulerIx] is { } schedulerText &&
            FailIf(SchedulerIx, LabelValues.ParseScheduler(schedulerText, out scheduler)) is { } schedulerError)
            return schedulerError;

        var flags = ServiceFlags.None;
        if (_values[FlagsIx] is { } flagsText && FailIf(FlagsIx, LabelValues.ParseFlags(flagsText, scheduler, out flags)) is { } flagsError)
            return flagsError;

        uint persistence = 0;
        if (_values[PersistenceIx] is { } persistenceText &&
            FailIf(PersistenceIx, LabelValues.ParsePersistence(persistenceText, out persistence)) is { } persistenceError)
            return persistenceError;

        var forward = ForwardMethod.Nat;
        if (_values[ForwardIx] is { } forwardText && FailIf(ForwardIx, LabelValues.ParseForward(forwardText, out forward)) is { } forwardError)
            return forwardError;

        var weight = ContainerLabels.DefaultWeight;
        if (_values[WeightIx] is { } weightText && FailIf(WeightIx, LabelValues.ParseWeight(weightText, out weight)) is { } weightError)
            return weightError;

        var backend = BackendMode.Published;
        if (_values[BackendIx] is { } backendText && FailIf(BackendIx, LabelValues.ParseBackend(backendText, out backend)) is { } backendError)
            return backendError;

        settings = new Settings(serviceName, vip, scheduler, flags, persistence, forward, weight, backend);
        return null;
    }

    /// <summary>
    /// The name of a container without a service label, held to the same rules as the label. A bad default names the
    /// compose label it came from (the one breaking the rule, or the longer one for a name that is too long).
    /// </summary>
    private LabelParseResult? DefaultServiceName(out string name)
    {
        name = ContainerLabels.DefaultServiceName(_c);
        if (ServiceNames.Problem(name) is not { } problem) return null;
        var fix = $"set {LabelName(ContainerLabels.Service)}";
        if (ContainerLabels.ComposeServiceName(_c) is null)
            return Fail($"no {LabelName(ContainerLabels.Service)} label, and the default service name \"{Shortened(name)}\" " +
                        $"(from the image or container name) is unusable: {problem}; {fix}");
        var project = _c.Labels[ContainerLabels.ComposeProjectLabel].Trim();
        var service = _c.Labels[ContainerLabels.ComposeServiceLabel].Trim();
        var label = ServiceNames.Problem(project) is not null ? ContainerLabels.ComposeProjectLabel
            : ServiceNames.Problem(service) is not null || service.Length > project.Length ? ContainerLabels.ComposeServiceLabel
            : ContainerLabels.ComposeProjectLabel;
        return LabelParseResult.Of(LabelError.For(_c, label, _c.Labels[label],
            $"the default service name \"{Shortened(name)}\" made from the compose labels is unusable: {problem}; {fix}"));
    }

    /// <summary>A long name cut for a one-line message (the label value beside it is shown whole).</summary>
    private static string Shortened(string name) =>
        name.Length <= 64 ? name : string.Concat(name.AsSpan(0, char.IsHighSurrogate(name[59]) ? 59 : 60), "…");
}
