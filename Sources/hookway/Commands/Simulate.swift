import ArgumentParser
import AsyncHTTPClient
import Foundation
import HookwayCore
import HookwayProviders
import NIOCore

/// `hookway simulate SOURCE EVENT`: a realistic, correctly signed sample delivery.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a correctly signed sample webhook to a running ingress and print the answer.",
        discussion: "`hookway simulate --list` prints one `SOURCE EVENT` pair per line for every source in the routes file."
    )

    @Argument(help: "Source name (a key of `sources` in routes.json).") var source: String?
    @Argument(help: "Event name, e.g. btc.lightning.received.success or funding.complete.") var event: String?
    @OptionGroup var config: ConfigOption
    @Option(help: "Base URL of the ingress.") var url: String = "http://127.0.0.1:8080"
    @Flag(help: "List sources and their events instead of sending.") var list = false
    @Flag(help: "Send a wrongly signed (or wrongly tokened) delivery.") var tamper = false

    func run() async throws {
        let routes = try config.load()
        if list {
            for name in routes.sourceNames {
                guard let source = routes.sources[name], let adapter = ProviderRegistry.adapter(named: source.provider) else { continue }
                for entry in type(of: adapter).catalog { print("\(name) \(entry.name)") }
            }
            return
        }
        guard let sourceName = source, let eventName = event else {
            printError("usage: hookway simulate SOURCE EVENT (or --list)")
            throw ExitCode(1)
        }
        guard let sourceConfig = routes.sources[sourceName] else {
            printError("no source named \"\(sourceName)\" in \(config.path); sources: \(routes.sourceNames.joined(separator: ", "))")
            throw ExitCode(1)
        }
        guard let adapter = ProviderRegistry.adapter(named: sourceConfig.provider),
              let sample = adapter.sample(event: eventName, source: sourceConfig, now: .now(), tampered: tamper)
        else {
            printError("no sample for event \"\(eventName)\" of \(sourceConfig.provider); see `hookway simulate --list`")
            throw ExitCode(1)
        }
        var target = url.hasSuffix("/") ? String(url.dropLast()) : url
        target += "/webhooks/\(sourceName)"
        if let suffix = sample.pathSuffix { target += "/\(suffix)" }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        for header in sample.headers { request.headers.add(name: header.name, value: header.value) }
        if !sample.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        request.body = .bytes(ByteBuffer(bytes: sample.body))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: UInt
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            status = response.status.code
            print("\(response.status.code) \(String(buffer: body))")
        } catch {
            try? await client.shutdown()
            printError("cannot reach \(target): \(error)")
            throw ExitCode(2)
        }
        try await client.shutdown()
        if !(200..<300).contains(status) { throw ExitCode(1) }
    }
}
