import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over a POSIX socket, for requests AsyncHTTPClient will not send:
/// a body that stalls half-way (slowloris), a chunked body that never ends, oversized headers.
/// Blocking I/O: call it from a detached task.
enum RawHTTPClient {
    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        /// Seconds from the first byte sent to the answer's head.
        var elapsed: Double
    }

    enum Mode {
        /// Content-Length, whole body.
        case whole
        /// `Transfer-Encoding: chunked`, the whole body in 4 KiB chunks, then the last chunk.
        case chunked
        /// Content-Length of the whole body, only `sendBytes` sent, then silence.
        case stall(sendBytes: Int)
        /// Chunked, only one chunk of `sendBytes`, then silence.
        case stallChunked(sendBytes: Int)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs blocking work on a new thread (not on Swift concurrency's small cooperative pool,
    /// which the in-process server shares).
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.start()
        }
    }

    /// A TCP connection to 127.0.0.1:`port`; the caller closes the descriptor.
    static func connectLoopback(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect: \(errno)")
        }
        return fd
    }

    static func send(
        port: Int,
        method: String,
        path: String,
        headers: [(name: String, value: String)],
        body: [UInt8],
        mode: Mode,
        timeout: Double = 15
    ) throws -> Answer {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }

        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        switch mode {
        case .whole, .stall: head += "Content-Length: \(body.count)\r\n"
        case .chunked, .stallChunked: head += "Transfer-Encoding: chunked\r\n"
        }
        head += "\r\n"

        let started = Date()
        var reader = Reader(fd: fd)
        // Stops sending as soon as the server answers (it may refuse the body half-way).
        func write(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                if reader.hasData(waitMilliseconds: 0) { return false }
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, min($0.count, 16384), Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        func chunk(_ bytes: ArraySlice<UInt8>) -> [UInt8] { Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10] }

        if write(Array(head.utf8)) {
            switch mode {
            case .whole:
                _ = write(body)
            case .stall(let n):
                _ = write(Array(body.prefix(n)))
            case .chunked:
                var i = 0
                var open = true
                while i < body.count, open {
                    open = write(chunk(body[i..<min(i + 4096, body.count)]))
                    i += 4096
                    if open, reader.hasData(waitMilliseconds: 2) { open = false }
                }
                if open { _ = write(Array("0\r\n\r\n".utf8)) }
            case .stallChunked(let n):
                _ = write(chunk(body.prefix(n)))
            }
        }
        return try reader.readAnswer(deadline: started.addingTimeInterval(timeout), started: started)
    }

    struct Reader {
        let fd: Int32
        var buffer: [UInt8] = []
        var closed = false

        mutating func hasData(waitMilliseconds: Int32) -> Bool {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&p, 1, waitMilliseconds) > 0
        }

        /// Reads more bytes; false at end of stream, an error or the deadline.
        mutating func fill(deadline: Date) -> Bool {
            guard !closed else { return false }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, hasData(waitMilliseconds: Int32(remaining * 1000)) else { return false }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                closed = true
                return false
            }
            buffer += chunk[0..<n]
            return true
        }

        mutating func readAnswer(deadline: Date, started: Date) throws -> Answer {
            let separator: [UInt8] = [13, 10, 13, 10]
            var headEnd: Int?
            while headEnd == nil {
                if let r = firstRange(of: separator, in: buffer) {
                    headEnd = r
                    break
                }
                guard fill(deadline: deadline) else {
                    throw Failure(description: buffer.isEmpty ? "no answer (connection closed or timed out)" : "incomplete answer head")
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line: \(head)") }
            let headers = lines.compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            buffer.removeFirst(headEnd! + 4)
            var body: [UInt8] = []
            if let length = headers.first(where: { $0.0.lowercased() == "content-length" }).flatMap({ Int($0.1) }) {
                while buffer.count < length, fill(deadline: deadline) {}
                body = Array(buffer.prefix(length))
                // The next answer on a keep-alive connection starts after this body.
                buffer.removeFirst(min(length, buffer.count))
            } else if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
                // Decode chunks until the last one.
                var pos = 0
                while true {
                    while firstRange(of: [13, 10], in: buffer, from: pos) == nil, fill(deadline: deadline) {}
                    guard let lineEnd = firstRange(of: [13, 10], in: buffer, from: pos),
                        let size = Int(String(decoding: buffer[pos..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
                    else { break }
                    if size == 0 { break }
                    while buffer.count < lineEnd + 2 + size + 2, fill(deadline: deadline) {}
                    guard buffer.count >= lineEnd + 2 + size else { break }
                    body += buffer[(lineEnd + 2)..<(lineEnd + 2 + size)]
                    pos = lineEnd + 2 + size + 2
                }
            } else if status >= 200, status != 204, status != 304 {
                while fill(deadline: deadline) {}
                body = buffer
            }
            return Answer(status: status, headers: headers, body: String(decoding: body, as: UTF8.self), elapsed: elapsed)
        }

        func firstRange(of needle: [UInt8], in hay: [UInt8], from: Int = 0) -> Int? {
            guard hay.count >= needle.count + from else { return nil }
            var i = from
            while i + needle.count <= hay.count {
                if hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle { return i }
                i += 1
            }
            return nil
        }
    }
}
