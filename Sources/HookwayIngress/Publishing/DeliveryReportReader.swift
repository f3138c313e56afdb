import HookwayKafka
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves a producer's delivery reports on an event loop: it watches the pipe librdkafka
/// writes to when reports wait (``DeliveryReportWakeup``) and serves them there, so a
/// webhook's acknowledgement completes on the loop that answers it — without waking the
/// producer's poll thread and hopping back with `EventLoop.execute` for every report.
final class DeliveryReportReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let wakeup: DeliveryReportWakeup
    /// A retry is scheduled (another thread was serving): later wake-ups wait for it.
    private var retryScheduled = false

    init(wakeup: DeliveryReportWakeup) {
        self.wakeup = wakeup
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The bytes only say "reports wait"; how many arrived does not matter.
        serve(on: context.eventLoop)
    }

    private func serve(on loop: any EventLoop) {
        guard !wakeup.serve(), !retryScheduled else { return }
        // A flush on the poll thread holds the queue; librdkafka will not write again until
        // someone empties it, so come back rather than wait for the next wake-up.
        retryScheduled = true
        loop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
            self.retryScheduled = false
            self.serve(on: loop)
        }
    }

    /// Starts serving `wakeup`'s reports on `loop`. If the loop cannot watch the pipe (it is
    /// shutting down), the producer's poll thread serves them instead.
    static func attach(_ wakeup: DeliveryReportWakeup, to loop: any EventLoop, logger: Logger) {
        guard let descriptor = wakeup.takeDescriptor() else { return }
        NIOPipeBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DeliveryReportReader(wakeup: wakeup))
                }
            }
            .takingOwnershipOfDescriptor(input: descriptor)
            .whenFailure { error in
                // A failed bootstrap leaves the descriptor ours.
                close(descriptor)
                logger.warning("delivery reports served by the producer's thread: \(error)")
                wakeup.fallBackToPollThread()
            }
    }
}
