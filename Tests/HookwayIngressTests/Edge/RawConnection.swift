import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One raw TCP connection to a loopback port, for the connection-limit tests: bytes written
/// exactly when the test says, and whether (and when) the server closed it.
final class RawConnection: @unchecked Sendable {
    // @unchecked: each connection is used by one test task at a time (never shared across
    // tasks concurrently); the fd is only closed in `deinit`.
    let fd: Int32
    private var reader: RawHTTPClient.Reader

    init(port: Int) throws {
        let fd = try RawHTTPClient.connectLoopback(port: port)
        self.fd = fd
        reader = RawHTTPClient.Reader(fd: fd)
    }

    private var isOpen = true

    deinit { closeNow() }

    /// Closes this end (a client done with the connection).
    func closeNow() {
        guard isOpen else { return }
        isOpen = false
        close(fd)
    }

    /// Writes `bytes`; false when the server has closed the connection.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Reads one HTTP answer (nil when none came within `timeout` seconds).
    func readAnswer(timeout: Double) -> RawHTTPClient.Answer? {
        let started = Date()
        return try? reader.readAnswer(deadline: started.addingTimeInterval(timeout), started: started)
    }

    /// True when the server closed the connection within `timeout` seconds (any bytes it sent
    /// first are read and dropped).
    func isClosedByServer(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            guard ready > 0 else { return false }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
        }
        return false
    }

    /// A complete keep-alive request.
    static func request(_ path: String = "/healthz", method: String = "GET") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    }
}
