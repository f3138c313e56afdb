import HookwayRuntime
import Testing

@testable import HookwayCore

@Suite struct ForwardedForTests {
    let trusted = [CIDRBlock("10.0.0.0/8")!, CIDRBlock("fd00::/8")!]

    @Test(arguments: [
        (["203.0.113.7"], "203.0.113.7"),
        (["198.51.100.1, 203.0.113.7"], "203.0.113.7"),
        (["203.0.113.7, 10.1.2.3"], "203.0.113.7"),
        (["6.6.6.6, 203.0.113.7", "10.0.0.5"], "203.0.113.7"),
        (["[2001:db8::1]:443, fd00::2"], "2001:db8::1"),
        (["192.0.2.9:8080"], "192.0.2.9"),
        ([" 2001:db8::5 "], "2001:db8::5"),
    ])
    func rightmostUntrustedAddressWins(values: [String], expected: String) {
        #expect(ForwardedFor.clientAddress(headerValues: values, trusted: trusted) == IPAddress(expected))
    }

    @Test(arguments: [[], ["10.0.0.1, 10.0.0.2"], ["not-an-ip"], ["203.0.113.7, garbage"], [""]])
    func nothingUsable(values: [String]) {
        #expect(ForwardedFor.clientAddress(headerValues: values, trusted: trusted) == nil)
    }

    @Test func overlongChainsAreRefused() {
        let chain = (0..<40).map { "192.0.2.\($0)" }.joined(separator: ",")
        #expect(ForwardedFor.clientAddress(headerValues: [chain], trusted: trusted) == nil)
    }

    @Test func limitsBelieveForwardingOnlyFromTrustedPeers() {
        var limits = Limits()
        limits.trustedProxies = trusted
        let proxy = IPAddress("10.9.9.9")
        let stranger = IPAddress("198.51.100.50")
        #expect(limits.clientAddress(peer: proxy, proxied: nil, forwardedFor: ["203.0.113.7"]) == IPAddress("203.0.113.7"))
        #expect(limits.clientAddress(peer: stranger, proxied: nil, forwardedFor: ["203.0.113.7"]) == stranger)
        #expect(limits.clientAddress(peer: proxy, proxied: IPAddress("192.0.2.1"), forwardedFor: ["203.0.113.7"]) == IPAddress("192.0.2.1"))
        #expect(limits.clientAddress(peer: proxy, proxied: nil, forwardedFor: []) == proxy)
    }
}

@Suite struct ProxyProtocolHeaderTests {
    static func v2(command: UInt8 = 1, family: UInt8 = 0x11, address: [UInt8], extra: [UInt8] = []) -> [UInt8] {
        let payload = address + extra
        return ProxyProtocolHeader.v2Signature + [0x20 | command, family, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    @Test func v1TCP4() {
        let bytes = Array("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nPOST / HTTP/1.1\r\n".utf8)
        #expect(ProxyProtocolHeader.parse(bytes) == .header(source: IPAddress("203.0.113.7"), length: 43))
    }

    @Test func v1TCP6AndUnknown() {
        #expect(
            ProxyProtocolHeader.parse(Array("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n".utf8))
                == .header(source: IPAddress("2001:db8::1"), length: 40)
        )
        #expect(ProxyProtocolHeader.parse(Array("PROXY UNKNOWN\r\n".utf8)) == .header(source: nil, length: 15))
    }

    @Test(arguments: ["PROXY", "PROXY TCP4 203.0.113.7", "PRO", "\r\n\r\n\u{0}\r\nQ"])
    func incompleteHeadersAskForMore(text: String) {
        #expect(ProxyProtocolHeader.parse(Array(text.utf8)) == .needMoreData)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 2001:db8::1 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
        "PROXY TCP4 " + String(repeating: "1", count: 120),
    ])
    func malformedHeadersAreInvalid(text: String) {
        guard case .invalid = ProxyProtocolHeader.parse(Array(text.utf8)) else {
            Issue.record("\(text.debugDescription) was not refused")
            return
        }
    }

    @Test func v2IPv4IPv6LocalAndTLVs() {
        let v4 = Self.v2(address: [203, 0, 113, 7, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB])
        #expect(ProxyProtocolHeader.parse(v4 + Array("GET".utf8)) == .header(source: IPAddress("203.0.113.7"), length: 28))
        let v6 = Self.v2(family: 0x21, address: Array(IPAddress("2001:db8::9")!.bytes) + [UInt8](repeating: 0, count: 16) + [0, 1, 0, 2])
        #expect(ProxyProtocolHeader.parse(v6) == .header(source: IPAddress("2001:db8::9"), length: 52))
        let local = Self.v2(command: 0, family: 0, address: [])
        #expect(ProxyProtocolHeader.parse(local) == .header(source: nil, length: 16))
        let withTLV = Self.v2(address: [192, 0, 2, 1, 10, 0, 0, 1, 0, 1, 0, 2], extra: [0x04, 0x00, 0x02, 0xAA, 0xBB])
        #expect(ProxyProtocolHeader.parse(withTLV) == .header(source: IPAddress("192.0.2.1"), length: 33))
        #expect(ProxyProtocolHeader.parse(Array(v4.prefix(20))) == .needMoreData)
    }

    @Test func v2Refusals() {
        var badVersion = Self.v2(address: [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])
        badVersion[12] = 0x31
        #expect(ProxyProtocolHeader.parse(badVersion) != .needMoreData)
        let truncated = Self.v2(address: [1, 2, 3, 4])
        guard case .invalid = ProxyProtocolHeader.parse(truncated) else {
            Issue.record("a v2 header with 4 address bytes was accepted")
            return
        }
        let huge = ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0xFF, 0xFF]
        guard case .invalid = ProxyProtocolHeader.parse(huge) else {
            Issue.record("a 65 KB v2 header was not refused")
            return
        }
    }
}

@Suite struct LinearMoneyTests {
    /// 200,000 leading zeros: parsing, comparing and adding stay linear (well under a second).
    @Test func leadingZerosAreLinear() throws {
        let text = String(repeating: "0", count: 200_000) + "12.50"
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let value = try #require(ExactDecimal(text))
            #expect(value.plainText == "12.50")
            #expect(value.significantDigitCount == 4)
            #expect(value + value == ExactDecimal("25.00")!)
            #expect(Condition(field: "data.amount", op: .gt, operand: .decimal(ExactDecimal("1")!)).isSatisfied(by: try Self.event(amount: text)))
        }
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }

    @Test(arguments: [("007.50", "7.50"), ("-0012", "-12"), ("0.5", "0.5"), ("000", "0"), ("-0.0", "-0.0"), ("10", "10")])
    func amountTextDropsRedundantLeadingZeros(input: String, expected: String) {
        #expect(ExactDecimal.amountText(from: .string(input)) == expected)
    }

    @Test(arguments: [("0.0100", 4), ("1200", 4), ("000123.45", 5), ("-0.5", 1), ("0", 0)])
    func significantDigits(text: String, digits: Int) {
        #expect(ExactDecimal.significantDigitCount(ofPlain: text) == digits)
        #expect(ExactDecimal(text)?.significantDigitCount == digits)
    }

    @Test func positivity() {
        #expect(ExactDecimal("0.01")!.isPositive)
        #expect(!ExactDecimal("0.00")!.isPositive)
        #expect(!ExactDecimal("-3")!.isPositive)
    }

    static func event(amount: String) throws -> Event {
        let data = EventData(provider: "bitnob", source: "bitnob", event: "x.y", amount: amount, payload: .object([]))
        return Event(id: "e1", data: data, authMethod: .signature, receivedAt: .now())
    }
}

@Suite struct EdgeLimitsConfigTests {
    @Test func limitsAndTopicCapParse() throws {
        let text = """
            { "version": 1,
              "kafka": { "topics": { "maxAutoCreated": 5 } },
              "limits": { "headerTimeoutMs": 2000, "idleTimeoutMs": 3000, "maxConnections": 64, "maxRequestsPerConnection": 10,
                          "maxAmountDigits": 20, "trustedProxies": ["10.0.0.0/8", "::1"], "proxyProtocol": true },
              "sources": { "b": { "provider": "bitnob", "secrets": ["env:B"] } },
              "routes": [ { "name": "all", "match": {}, "to": ["t"] } ] }
            """
        let result = RoutesConfigLoader.parse(Array(text.utf8), environment: ["B": "x"])
        let config = try #require(result.config, "\(result.problems)")
        #expect(config.kafka.maxAutoCreated == 5)
        #expect(config.limits.headerTimeoutMs == 2000 && config.limits.idleTimeoutMs == 3000)
        #expect(config.limits.maxConnections == 64 && config.limits.maxRequestsPerConnection == 10)
        #expect(config.limits.maxAmountDigits == 20 && config.limits.proxyProtocol)
        #expect(config.limits.trustedProxies == [CIDRBlock("10.0.0.0/8")!, CIDRBlock("::1/128")!])
    }

    @Test func proxyProtocolNeedsTrustedProxies() {
        let text = """
            { "version": 1, "limits": { "proxyProtocol": true, "trustedProxies": ["nope"] },
              "sources": { "b": { "provider": "bitnob", "secrets": ["env:B"] } }, "routes": [] }
            """
        let problems = RoutesConfigLoader.parse(Array(text.utf8), environment: ["B": "x"]).problems.map(\.description)
        #expect(problems.contains { $0.hasPrefix("$.limits.trustedProxies[0]:") })
        #expect(problems.contains { $0.hasPrefix("$.limits.proxyProtocol:") })
    }
}
