using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using GorbLink.Netlink;
using static GorbLink.Ipvs.Netlink.IpvsWire;

namespace GorbLink.Ipvs.Netlink;

/// <summary>The requests of a batch of writes, appended into one buffer (the per-message builders are in IpvsCodec.cs).</summary>
internal static partial class IpvsCodec
{
    /// <summary>
    /// Appends the request for one write of a batch to <paramref name="buffer"/>, where the batch's other requests
    /// are: one buffer for the whole batch, no array or closure per request. The bytes are those of
    /// <see cref="NewService"/>, <see cref="NewDest"/>, ... for the same operation.
    /// </summary>
    public static void AppendOperation(NetlinkBuffer buffer, ushort familyId, IpvsOperation operation)
    {
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(familyId, NetlinkMessageFlags.Request, 0);
        switch (operation)
        {
            case IpvsOperation.CreateService op:
                writer.WriteGenericHeader(CMD_NEW_SERVICE, GenlVersion);
                WriteService(ref writer, op.Service.Key, op.Service.Spec);
                break;
            case IpvsOperation.UpdateService op:
                writer.WriteGenericHeader(CMD_SET_SERVICE, GenlVersion);
                WriteService(ref writer, op.Service.Key, op.Service.Spec);
                break;
            case IpvsOperation.DeleteService op:
                writer.WriteGenericHeader(CMD_DEL_SERVICE, GenlVersion);
                WriteService(ref writer, op.Service, null);
                break;
            case IpvsOperation.CreateDestination op:
                writer.WriteGenericHeader(CMD_NEW_DEST, GenlVersion);
                WriteService(ref writer, op.Service, null);
                WriteDestination(ref writer, op.Destination.Key, op.Destination.Spec);
                break;
            case IpvsOperation.UpdateDestination op:
                writer.WriteGenericHeader(CMD_SET_DEST, GenlVersion);
                WriteService(ref writer, op.Service, null);
                WriteDestination(ref writer, op.Destination.Key, op.Destination.Spec);
                break;
            case IpvsOperation.DeleteDestination op:
                writer.WriteGenericHeader(CMD_DEL_DEST, GenlVersion);
                WriteService(ref writer, op.Service, null);
                WriteDestination(ref writer, op.Destination, null);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown IPVS operation");
        }
        writer.EndMessage(message);
    }

    /// <summary>The request for one write, on its own (<see cref="AppendOperation"/> into a fresh buffer).</summary>
    public static byte[] Operation(ushort familyId, IpvsOperation operation)
    {
        var buffer = new NetlinkBuffer(256);
        AppendOperation(buffer, familyId, operation);
        return buffer.ToArray();
    }
}
