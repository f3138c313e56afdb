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
    @Option(
        name: .customLong("entity-id"),
        help: "Name this entity (fid, transaction id, order id) instead of a generated one, e.g. one the provider's API knows."
    ) var entityID: String?
    @Option(
        name: .customLong("signing-key"),
        help: ArgumentHelp(
            "The sender's private key, as env:NAME or file:PATH, for sources that verify public-key signatures: Bitso's RSA PEM (publicKeys), a Standard Webhooks whsk_ key (v1a). Default: $HOOKWAY_SIGNING_KEY_<SOURCE>.",
            valueName: "ref"
        )
    ) var signingKey: String?

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
        let senderKey = try senderKey(for: sourceName)
        guard let adapter = ProviderRegistry.adapter(named: sourceConfig.provider),
            let sample = SampleEntityID.$override.withValue(
                entityID,
                operation: {
                    adapter.sample(event: eventName, source: sourceConfig, now: .now(), tampered: tamper, senderKey: senderKey)
                }
            )
        else {
            if let adapter = ProviderRegistry.adapter(named: sourceConfig.provider), adapter.needsSenderKey(source: sourceConfig) {
                printError(
                    "source \"\(sourceName)\" verifies public-key signatures: pass the sender's private key with --signing-key env:NAME|file:PATH (or set \(Self.signingKeyVariable(sourceName)))\(senderKey == nil ? "" : "; \(senderKey?.reference ?? "") is not a key this source's scheme can sign with")"
                )
            } else {
                printError("no sample for event \"\(eventName)\" of \(sourceConfig.provider); see `hookway simulate --list`")
            }
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

    /// `HOOKWAY_SIGNING_KEY_BITSO` for source `bitso` (`-` and `.` become `_`).
    static func signingKeyVariable(_ source: String) -> String {
        "HOOKWAY_SIGNING_KEY_" + String(source.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// The sender key reference from `--signing-key` or the source's variable, resolved.
    func senderKey(for source: String) throws -> Secret? {
        let environment = ProcessInfo.processInfo.environment
        guard let text = signingKey ?? environment[Self.signingKeyVariable(source)] else { return nil }
        guard let reference = SecretReference(text) else {
            printError("--signing-key takes env:NAME or file:PATH, not the key itself")
            throw ExitCode(1)
        }
        // Resolved like routes.json's references (HOOKWAY_SECRETS_DIR included).
        var reader = ConfigReader(environment: environment, baseDirectory: FileManager.default.currentDirectoryPath)
        guard let key = reader.resolve(reference, at: "--signing-key") else {
            printError("cannot read the signing key \(reference.text): \(reader.problems.map(\.message).joined(separator: "; "))")
            throw ExitCode(1)
        }
        return key
    }
}
