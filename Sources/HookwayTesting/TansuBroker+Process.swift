import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension TansuBroker {
    /// `$HOOKWAY_TANSU`, else `.tools/bin/tansu` in the package root (found by walking up from
    /// this file), as installed by `scripts/bootstrap`.
    static func locateExecutable(filePath: String = #filePath) throws -> String {
        if let path = ProcessInfo.processInfo.environment["HOOKWAY_TANSU"], !path.isEmpty {
            return path
        }
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let candidate = directory.appendingPathComponent(".tools/bin/tansu").path
                guard FileManager.default.isExecutableFile(atPath: candidate) else { break }
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        throw StartError(description: "tansu not found: set HOOKWAY_TANSU or run scripts/bootstrap")
    }

    /// A loopback port nothing listens on right now (the kernel's pick for an ephemeral bind);
    /// also handy as a "dead broker" address.
    public static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw StartError(description: "bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a TCP connection to the loopback port succeeds.
    static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
