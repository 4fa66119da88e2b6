namespace GorbLink.Netlink.Generic;

/// <summary>A generic-netlink family as nlctrl reports it. The id is dynamic and can change when the module reloads.</summary>
public sealed record GenericNetlinkFamily(string Name, ushort Id, uint Version, uint HeaderSize, uint MaxAttribute);
