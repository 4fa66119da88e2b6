using GorbLink.Core.Pipeline;

namespace GorbLink.Core.Tests.Pipeline;

public sealed class SinkPassFeedTests
{
    private static SinkPassOutcome Outcome(int writes) => new(writes, [], null, TimeSpan.Zero);

    [Fact]
    public async Task AWaiterIsAnsweredByTheFirstPassAtOrPastItsRevision()
    {
        var feed = new SinkPassFeed();
        var waiting = feed.WaitForRevisionAsync(3, TestContext.Current.CancellationToken);

        feed.Publish(SinkPass.Applied(2, Outcome(1))); // an older snapshot's pass does not answer it
        Assert.False(waiting.IsCompleted);
        feed.Publish(SinkPass.Applied(4, Outcome(2))); // a later one does: it includes revision 3

        var pass = await waiting;
        Assert.Equal(4, pass.Revision);
        Assert.Equal(2, pass.Outcome!.Writes);
        Assert.Null(pass.Failure);
    }

    [Fact]
    public async Task ThePassAlreadyCoveringARevisionAnswersAtOnce()
    {
        var feed = new SinkPassFeed();
        feed.Publish(SinkPass.Applied(5, Outcome(0)));

        Assert.Equal(5, (await feed.WaitForRevisionAsync(5, TestContext.Current.CancellationToken)).Revision);
        Assert.Equal(5, (await feed.WaitForRevisionAsync(1, TestContext.Current.CancellationToken)).Revision);
        Assert.False(feed.WaitForRevisionAsync(6, TestContext.Current.CancellationToken).IsCompleted);
    }

    [Fact]
    public async Task AFailedPassAnswersWithItsException()
    {
        var feed = new SinkPassFeed();
        var waiting = feed.WaitForRevisionAsync(1, TestContext.Current.CancellationToken);

        feed.Publish(SinkPass.Failed(1, new InvalidOperationException("kernel is down")));

        var pass = await waiting;
        Assert.Null(pass.Outcome);
        Assert.Equal("kernel is down", pass.Failure!.Message);
    }

    [Fact]
    public async Task ClosingCancelsWaitersNowAndLaterWithTheReason()
    {
        var feed = new SinkPassFeed();
        var early = feed.WaitForRevisionAsync(1, TestContext.Current.CancellationToken);

        feed.Close("the runner of kernel has stopped");

        Assert.Equal("the runner of kernel has stopped", (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => early)).Message);
        Assert.Equal("the runner of kernel has stopped",
            (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feed.WaitForRevisionAsync(1, TestContext.Current.CancellationToken))).Message);
    }

    [Fact]
    public async Task AfterClosingTheLastPassStillAnswersTheRevisionsItCovers()
    {
        var feed = new SinkPassFeed();
        feed.Publish(SinkPass.Applied(2, Outcome(1)));
        feed.Close("stopped");

        Assert.Equal(2, (await feed.WaitForRevisionAsync(2, TestContext.Current.CancellationToken)).Revision);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feed.WaitForRevisionAsync(3, TestContext.Current.CancellationToken));
    }
}
