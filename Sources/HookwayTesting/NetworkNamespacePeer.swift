import Foundation

/// A host with its own address, made for one test run: a network namespace joined to this
/// one by a veth pair (`10.213.N.1` here, `10.213.N.2` inside), so a server on this host sees a
/// real, non-loopback TCP peer. Traffic stays between the two ends of the pair. Needs root
/// and `ip` (iproute2); ``isAvailable`` says whether this machine has both.
public final class NetworkNamespacePeer: Sendable {
    /// The namespace's name (`hwt-…`).
    public let name: String
    /// This host's end of the pair.
    public let hostAddress: String
    /// The namespace's address: the peer the server sees.
    public let peerAddress: String
    private let hostInterface: String

    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// True when namespaces can be created here (root with `ip` on PATH).
    public static var isAvailable: Bool {
        guard getuid() == 0, let ip = ipPath else { return false }
        return (try? ShellCommand.run(ip, ["netns", "list"]).status) == 0
    }

    static let ipPath: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public init() throws {
        guard let ip = Self.ipPath else { throw Failure(description: "no ip command") }
        let n = Int.random(in: 1...250)
        let tag = String(UInt32.random(in: 0...0xFFFFFF), radix: 16)
        name = "hwt-\(tag)"
        hostInterface = "hwa\(tag)"
        let inner = "hwb\(tag)"
        hostAddress = "10.213.\(n).1"
        peerAddress = "10.213.\(n).2"
        let steps: [[String]] = [
            ["netns", "add", name],
            ["link", "add", hostInterface, "type", "veth", "peer", "name", inner],
            ["link", "set", inner, "netns", name],
            ["addr", "add", "\(hostAddress)/30", "dev", hostInterface],
            ["link", "set", hostInterface, "up"],
            ["netns", "exec", name, ip, "addr", "add", "\(peerAddress)/30", "dev", inner],
            ["netns", "exec", name, ip, "link", "set", inner, "up"],
            ["netns", "exec", name, ip, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = try ShellCommand.run(ip, step)
            if result.status != 0 {
                remove()
                throw Failure(description: "ip \(step.joined(separator: " ")): \(result.output)")
            }
        }
    }

    /// Deletes the namespace (and with it the veth pair).
    public func remove() {
        guard let ip = Self.ipPath else { return }
        _ = try? ShellCommand.run(ip, ["netns", "delete", name])
        _ = try? ShellCommand.run(ip, ["link", "delete", hostInterface])
    }

    /// Sends `bytes` over one TCP connection from inside the namespace to `host:port` and
    /// returns what came back before the server closed (or `timeout` passed): the raw answer.
    public func exchange(host: String, port: Int, bytes: [UInt8], timeout: Double = 10) throws -> [UInt8] {
        guard let ip = Self.ipPath else { throw Failure(description: "no ip command") }
        let script = """
            import socket, sys
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
            s.sendall(bytes.fromhex(sys.argv[4]))
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                    if b"\\r\\n\\r\\n" in out:
                        head, _, rest = out.partition(b"\\r\\n\\r\\n")
                        length = [int(l.split(b":")[1]) for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length:")]
                        if length and len(rest) >= length[0]:
                            break
            except socket.timeout:
                pass
            sys.stdout.write(out.hex())
            """
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let result = try ShellCommand.run(ip, ["netns", "exec", name, "python3", "-c", script, host, String(port), String(timeout), hex])
        guard result.status == 0 else { throw Failure(description: "client in \(name) failed: \(result.output)") }
        let text = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
            guard let byte = UInt8(text[index..<next], radix: 16) else { break }
            out.append(byte)
            index = next
        }
        return out
    }
}
