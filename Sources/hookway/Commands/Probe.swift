import ArgumentParser
import AsyncHTTPClient
import NIOCore

/// `hookway probe URL`: a health check for images without a shell or curl — GETs the URL,
/// prints the body, exits 0 on 2xx and 1 otherwise.
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GET a URL (a health or metrics endpoint) and exit 0 on 2xx: the container health check.",
        discussion: "e.g. `hookway probe http://127.0.0.1:8080/healthz`. Prints the body unless --quiet."
    )

    @Argument(help: "The URL to GET.") var url: String = "http://127.0.0.1:8080/healthz"
    @Option(help: "Seconds to wait for the answer.") var timeout: Int = 3
    @Flag(help: "Print nothing.") var quiet = false

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: UInt
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(Int64(timeout)))
            let body = try await response.body.collect(upTo: 16 << 20)
            status = response.status.code
            if !quiet { print(String(buffer: body), terminator: "") }
        } catch {
            try? await client.shutdown()
            if !quiet { printError("probe: \(url): \(error)") }
            throw ExitCode(1)
        }
        try await client.shutdown()
        if !(200..<300).contains(status) { throw ExitCode(1) }
    }
}
