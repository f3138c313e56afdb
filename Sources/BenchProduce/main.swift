// BenchProduce: "bare + produce", the limit of this stack (bench/percore, docs/benchmarks.md).
// The smallest SwiftNIO server that does what the promise needs and nothing else: read a Bitnob
// webhook's raw body, check `x-bitnob-signature` (hex HMAC-SHA512) in constant time, produce the
// raw body with acks=all (idempotent) through librdkafka (HookwayKafka's producer, the one
// hookway uses) keyed by nothing, and answer 200 only after the delivery report, 503 otherwise.
// No JSON, no routing, no CloudEvent, no metrics, no logging per request.
//
//   BenchProduce PORT BROKERS [TOPIC]     secret: $BITNOB_WEBHOOK_SECRET, else bitnob_test_secret
import BenchSupport
import Foundation
import HookwayKafka
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count >= 3, let port = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: BenchProduce PORT BROKERS [TOPIC]\n".utf8))
    exit(2)
}
let topic = arguments.count > 3 ? arguments[3] : "bench.produce"
var logger = Logger(label: "bench-produce")
logger.logLevel = .warning
var configuration = KafkaProducerConfiguration(bootstrapServers: arguments[2])
configuration.properties["linger.ms"] = "1"
let producer = try KafkaProducer(configuration: configuration, logger: logger)

/// One request at a time per connection (the load generators do not pipeline).
final class ProduceHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            guard body.withUnsafeReadableBytes({ bitnobSignatureIsValid(head.headers.first(name: "x-bitnob-signature"), body: $0) }) else {
                return respond(.unauthorized, keepAlive: keepAlive, context: context)
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let loop = context.eventLoop
            producer.send(topic: topic, key: nil, value: Array(body.readableBytesView)) { result in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.respond(result.isSuccess ? .ok : .serviceUnavailable, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    static let ok = ByteBuffer(string: #"{"ok":true}"#)

    func respond(_ status: HTTPResponseStatus, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers: HTTPHeaders = ["content-type": "application/json", "content-length": String(Self.ok.readableBytes)]
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(Self.ok))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if !keepAlive { context.close(promise: nil) }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(ProduceHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .get()
try await server.closeFuture.get()
