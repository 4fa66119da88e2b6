namespace GorbLink.Netlink.Generic;

/// <summary>Generic-netlink helpers: message framing and family resolution through nlctrl.</summary>
public static class GenericNetlink
{
    /// <summary>GENL_ID_CTRL: nlctrl's fixed family id.</summary>
    public const ushort ControllerFamilyId = 0x10;
    public const byte CTRL_CMD_NEWFAMILY = 1;
    public const byte CTRL_CMD_GETFAMILY = 3;
    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;
    public const ushort CTRL_ATTR_VERSION = 3;
    public const ushort CTRL_ATTR_HDRSIZE = 4;
    public const ushort CTRL_ATTR_MAXATTR = 5;

    /// <summary>Builds CTRL_CMD_GETFAMILY for <paramref name="name"/> (sequence and ACK are set when sent).</summary>
    public static byte[] BuildGetFamily(string name)
    {
        var buffer = new NetlinkBuffer(64);
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(ControllerFamilyId, NetlinkMessageFlags.Request, 0);
        writer.WriteGenericHeader(CTRL_CMD_GETFAMILY, 1);
        writer.WriteString(CTRL_ATTR_FAMILY_NAME, name);
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    /// <summary>Parses a CTRL_CMD_NEWFAMILY reply payload (genlmsghdr + attributes).</summary>
    public static GenericNetlinkFamily ParseFamily(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < NetlinkConstants.GenericHeaderLength) throw new NetlinkProtocolException("family reply without a generic header");
        string? name = null;
        ushort id = 0;
        uint version = 0, headerSize = 0, maxAttribute = 0;
        var reader = new NetlinkAttributeReader(payload[NetlinkConstants.GenericHeaderLength..]);
        while (reader.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case CTRL_ATTR_FAMILY_ID: id = NetlinkAttribute.U16(value, "CTRL_ATTR_FAMILY_ID"); break;
                case CTRL_ATTR_FAMILY_NAME: name = NetlinkAttribute.String(value); break;
                case CTRL_ATTR_VERSION: version = NetlinkAttribute.U32(value, "CTRL_ATTR_VERSION"); break;
                case CTRL_ATTR_HDRSIZE: headerSize = NetlinkAttribute.U32(value, "CTRL_ATTR_HDRSIZE"); break;
                case CTRL_ATTR_MAXATTR: maxAttribute = NetlinkAttribute.U32(value, "CTRL_ATTR_MAXATTR"); break;
            }
        }
        if (name is null || id == 0) throw new NetlinkProtocolException("family reply without name or id");
        return new GenericNetlinkFamily(name, id, version, headerSize, maxAttribute);
    }

    /// <summary>
    /// Resolves a family by name. The kernel tries request_module("net-pf-16-proto-16-family-NAME") first and
    /// answers ENOENT when the family is still missing; that case becomes a <see cref="GenericNetlinkFamilyNotFoundException"/>.
    /// </summary>
    public static async Task<GenericNetlinkFamily> ResolveFamilyAsync(NetlinkConnection connection, string name, CancellationToken cancellationToken)
    {
        GenericNetlinkFamily? family = null;
        try
        {
            await connection.ExchangeAsync(BuildGetFamily(name), $"resolve-family {name}",
                (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) =>
                {
                    if (payload.Length > 0 && payload[0] == CTRL_CMD_NEWFAMILY) family = ParseFamily(payload);
                }, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            throw new GenericNetlinkFamilyNotFoundException(name, e);
        }
        return family ?? throw new NetlinkProtocolException($"nlctrl ACKed the lookup of {name} without describing it");
    }
}

/// <summary>The kernel has no generic-netlink family of that name (its module is not loaded and could not be loaded).</summary>
public sealed class GenericNetlinkFamilyNotFoundException(string family, Exception inner)
    : NetlinkException($"resolve-family {family}", Errno.ENOENT, $"generic netlink family \"{family}\" is not registered", 0, inner)
{
    public string Family { get; } = family;
}
