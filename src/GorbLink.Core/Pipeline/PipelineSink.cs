namespace GorbLink.Core.Pipeline;

/// <summary>
/// One sink as a pipeline is composed from it: its runner, and what it reports about each desired state built (the
/// kernel sink logs the containers' label errors and conflicts as it sees them). `run -r --local` composes the kernel's
/// with the GORB daemons' into one <see cref="PipelineLoop"/>.
/// </summary>
public sealed record PipelineSink(SinkRunner Runner, IDesiredStateReport? Report = null);
