import Crypto
import Foundation
import HookwayCore
import HookwayTesting

/// Computes, at test time, the signatures a case's `sign` asks for, independently of the
/// adapters' code. Secrets default to the harness's development secrets.
struct BadInputSigner: Sendable {
    let bitso: TestRSAKey

    func prepare(_ c: BadInputCase, now: Date = Date()) throws -> PreparedRequest {
        var headers = c.headers.map { (name: $0.name, value: BadInputCase.resolve($0.value, now: now)) }
        let path = BadInputCase.resolve(c.path, now: now)
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        let signed = c.signBody ?? c.body
        let env = IngressHarness.environment
        func hex(_ bytes: some Sequence<UInt8>) -> String {
            let h = Sign.hex(bytes)
            return c.signUppercase ? h.uppercased() : h
        }
        func key(_ envName: String) -> [UInt8] { Array((c.signSecret ?? env[envName] ?? "").utf8) }
        switch c.sign {
        case nil:
            break
        case "bitnob-sha512":
            headers.append(("x-bitnob-signature", hex(Sign.hmac(SHA512.self, key: key("BITNOB_WEBHOOK_SECRET"), signed))))
        case "bitnob-sha256":
            let ts = header("X-Bitnob-Timestamp") ?? ""
            headers.append(
                (
                    "x-bitnob-signature",
                    hex(Sign.hmac(SHA256.self, key: key("BITNOB_WEBHOOK_SECRET"), Array("\(ts).".utf8) + signed))
                )
            )
        case "bitcapital":
            let ts = header("X-Request-Timestamp") ?? ""
            let target = c.signPath ?? path
            headers.append(
                (
                    "X-Request-Signature",
                    hex(Sign.hmac(SHA256.self, key: key("BITCAPITAL_WEBHOOK_SECRET"), Array("POST,\(target),\(ts),".utf8) + signed))
                )
            )
        case "koywe-header":
            headers.append(("Koywe-Signature", hex(Sign.hmac(SHA256.self, key: key("KOYWE_WEBHOOK_SECRET"), signed))))
        case "standardwebhooks":
            let svix = header("svix-id") != nil
            let id = header(svix ? "svix-id" : "webhook-id") ?? ""
            let ts = header(svix ? "svix-timestamp" : "webhook-timestamp") ?? ""
            let secret = c.signSecret ?? env["ACME_WEBHOOK_SECRET"] ?? ""
            headers.append(
                (svix ? "svix-signature" : "webhook-signature", Sign.standardWebhooks(id: id, timestamp: ts, body: signed, secret: secret))
            )
        case "bitso-rsa":
            let (_, spans) = try JSONParser.parseWithSpans(signed)
            guard let span = spans.last(where: { $0.key == "payload" })?.span else {
                throw BadInputCase.LoadError(description: "\(c.name): no payload to sign")
            }
            let signature = try bitso.sign(Self.compact(signed[span]))
            headers.append(("x-bitso-webhook-event-signature", signature.base64EncodedString()))
        case let other?:
            throw BadInputCase.LoadError(description: "\(c.name): unknown sign \"\(other)\"")
        }
        if let big = c.headerRepeat { headers.append(big) }
        return PreparedRequest(path: path, method: c.method, headers: headers, body: c.body)
    }

    /// Bitso's signed bytes: the `payload` span without whitespace outside strings.
    static func compact(_ json: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        for b in json {
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
            } else if b == 0x22 {
                inString = true
                out.append(b)
            } else if ![0x20, 0x09, 0x0A, 0x0D].contains(b) {
                out.append(b)
            }
        }
        return out
    }
}

/// An RSA-2048 key pair made with the `openssl` command at test time (the ingress tests do not
/// link `_CryptoExtras`): PKCS#1 v1.5 SHA-256 signatures, as Bitso signs.
struct TestRSAKey: Sendable {
    let directory: String
    var privateKeyPath: String { directory + "/bitso-test-key.pem" }
    var publicKeyPath: String { directory + "/bitso-test-key.pub.pem" }

    static func generate() throws -> TestRSAKey {
        let dir = NSTemporaryDirectory() + "hookway-badinputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let key = TestRSAKey(directory: dir)
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.privateKeyPath])
        try openssl(["pkey", "-in", key.privateKeyPath, "-pubout", "-out", key.publicKeyPath])
        return key
    }

    func sign(_ message: [UInt8]) throws -> Data {
        let input = directory + "/msg-\(UUID().uuidString)"
        let output = input + ".sig"
        defer {
            try? FileManager.default.removeItem(atPath: input)
            try? FileManager.default.removeItem(atPath: output)
        }
        try Data(message).write(to: URL(fileURLWithPath: input))
        try Self.openssl(["dgst", "-sha256", "-sign", privateKeyPath, "-out", output, input])
        guard let sig = FileManager.default.contents(atPath: output) else { throw BadInputCase.LoadError(description: "openssl wrote no signature") }
        return sig
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BadInputCase.LoadError(description: "openssl \(arguments.first ?? "") exited \(process.terminationStatus)")
        }
    }
}
