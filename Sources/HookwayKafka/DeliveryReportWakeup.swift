import CRdKafka
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets an IO loop (a NIO event loop) serve a producer's delivery reports on its own thread,
/// so a send's completion runs where its request lives: no poll-thread wake-up and no hop back
/// per report.
///
/// librdkafka writes a byte to a pipe when its report queue goes from empty to non-empty
/// (`rd_kafka_queue_io_event_enable`); the loop watches the pipe's read end
/// (``takeDescriptor()``) and calls ``serve()``, which empties the queue and so re-arms the
/// wake-up. The producer's poll thread still runs `flush`/`shutdown`, and serves reports it finds
/// waiting on two looks a second apart, so a lost wake-up delays reports, it never strands them.
public final class DeliveryReportWakeup: Sendable {
    let handle: RdKafkaHandle
    let core: ProducerCore
    /// The pipe's read end until an IO loop takes it.
    private let readDescriptor: Mutex<CInt?>
    /// The pipe's write end, which librdkafka writes to; closed after the client is destroyed.
    private let writeDescriptor: CInt
    /// Whether the IO loop gave up (it could not watch the pipe): the poll thread serves again.
    private let fellBack = Atomic<Bool>(false)

    /// Creates the pipe and arms librdkafka's wake-up on the client's report queue.
    init(handle: RdKafkaHandle, core: ProducerCore) throws(KafkaError) {
        var fds: [CInt] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw KafkaError(code: .creation, message: "cannot create the delivery report pipe (errno \(errno))")
        }
        // librdkafka requires a non-blocking descriptor; neither end may leak into a child.
        for fd in fds where fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
            close(fds[0])
            close(fds[1])
            throw KafkaError(code: .creation, message: "cannot make the delivery report pipe non-blocking (errno \(errno))")
        }
        guard let queue = rd_kafka_queue_get_main(handle.pointer) else {
            close(fds[0])
            close(fds[1])
            throw KafkaError(code: .creation, message: "librdkafka returned no report queue")
        }
        self.handle = handle
        self.core = core
        self.readDescriptor = Mutex(fds[0])
        self.writeDescriptor = fds[1]
        var payload: UInt8 = 1
        rd_kafka_queue_io_event_enable(queue, fds[1], &payload, 1)
        // The wake-up belongs to the queue, not to this reference to it.
        rd_kafka_queue_destroy(queue)
    }

    /// The pipe's read end, readable when reports wait; `nil` after the first call. The caller
    /// owns it and closes it (it reads end-of-file once the producer is destroyed).
    public func takeDescriptor() -> CInt? {
        readDescriptor.withLock { descriptor in
            defer { descriptor = nil }
            return descriptor
        }
    }

    /// Serves the waiting reports on the calling thread: each send's completion runs here.
    /// Never blocks; returns `false` when another thread is serving right now (a flush), and
    /// the caller should try again shortly — the wake-up is not re-armed until someone serves.
    @discardableResult
    public func serve() -> Bool {
        core.serveReports(handle: handle, waitMilliseconds: 0, caller: .ioLoop)
    }

    /// The IO loop cannot watch the pipe: the poll thread serves the reports from now on.
    public func fallBackToPollThread() {
        fellBack.store(true, ordering: .releasing)
        handle.wake()
    }

    /// Whether the poll thread serves the reports (the IO loop fell back).
    var servedByPollThread: Bool { fellBack.load(ordering: .acquiring) }

    /// Whether the report queue holds anything.
    func waitingReports() -> Bool {
        guard let queue = rd_kafka_queue_get_main(handle.pointer) else { return false }
        defer { rd_kafka_queue_destroy(queue) }
        return rd_kafka_queue_length(queue) > 0
    }

    /// Disarms the wake-up; called by the poll thread just before it destroys the client.
    func disarm() {
        guard let queue = rd_kafka_queue_get_main(handle.pointer) else { return }
        rd_kafka_queue_io_event_enable(queue, -1, nil, 0)
        rd_kafka_queue_destroy(queue)
    }

    /// Closes the write end (the IO loop then reads end-of-file) and the read end if nobody
    /// took it; called by the poll thread after it destroyed the client.
    func closeDescriptors() {
        close(writeDescriptor)
        if let unclaimed = takeDescriptor() { close(unclaimed) }
    }
}
