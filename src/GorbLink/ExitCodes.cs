namespace GorbLink;

/// <summary>Process exit codes: each says what failed, so scripts and supervisors can tell.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Something unexpected; the log has the details.</summary>
    public const int Failure = 1;
    /// <summary>Bad options or a bad input file: nothing was changed.</summary>
    public const int BadInput = 2;
    /// <summary>The Docker Engine could not be reached or is too old.</summary>
    public const int NoDocker = 3;
    /// <summary>The kernel has no IPVS.</summary>
    public const int NoIpvs = 4;
    /// <summary>No CAP_NET_ADMIN.</summary>
    public const int NoPermission = 5;
    /// <summary>The kernel refused some of the changes; the others were applied.</summary>
    public const int KernelRefused = 6;
}
