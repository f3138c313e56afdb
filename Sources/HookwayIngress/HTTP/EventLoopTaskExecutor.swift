import NIOCore

/// A task executor that runs jobs on one NIO event loop.
///
/// A connection's task prefers the executor of the connection's own event loop
/// (``IngressChannel/handle(value:logger:)``): reading the request, verifying, routing,
/// producing and writing the answer then run on the thread that owns the socket, instead of
/// hopping to the cooperative pool and back for every request part and every answer. A task
/// resumed from another thread (a Kafka delivery report) is enqueued on this loop directly.
///
/// Nothing the request path does blocks (digests, JSON, routing and enqueueing to librdkafka are
/// CPU-only; the spool's fsync runs on NIO's thread pool), so the loop keeps serving its other
/// connections.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
