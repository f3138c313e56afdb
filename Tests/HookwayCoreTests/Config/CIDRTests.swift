import Testing

@testable import HookwayCore

@Suite("IPAddress and CIDRBlock")
struct CIDRTests {
    @Test(arguments: [
        ("10.0.0.1", [10, 0, 0, 1] as [UInt8]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
        ("192.168.1.20", [192, 168, 1, 20]),
    ])
    func ipv4(text: String, bytes: [UInt8]) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(address.isIPv4)
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("::", [UInt8](repeating: 0, count: 16)),
        ("::1", [UInt8](repeating: 0, count: 15) + [1]),
        ("2001:db8::1", [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]),
        ("fe80::1%eth0", [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1]),
        ("[::1]", [UInt8](repeating: 0, count: 15) + [1]),
        ("1:2:3:4:5:6:7::", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]),
        ("::2:3:4:5:6:7:8", [0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
        ("1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
        ("64:ff9b::192.0.2.33", [0, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 8) + [192, 0, 2, 33]),
        ("1:2:3:4:5:6:1.2.3.4", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]),
    ])
    func ipv6(text: String, bytes: [UInt8]) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(!address.isIPv4)
    }

    @Test(arguments: ["::ffff:10.0.0.1", "::FFFF:10.0.0.1", "::ffff:a00:1", "0:0:0:0:0:ffff:0a00:0001", "[::ffff:10.0.0.1]"])
    func mappedAddressesAreUnmapped(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == [10, 0, 0, 1])
        #expect(address.isIPv4)
        #expect(address == IPAddress("10.0.0.1"))
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "a.b.c.d", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8", "１.2.3.4",
        "1.2.3.0004", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":::", ":1::", "1:", "12345::", "g::", "1:2:3:4:5:6:7::8",
        "::1.2.3", "::1.2.3.4:5", "::256.0.0.1", "1.2.3.4::", "+1::", "::-0", "::+ff", "localhost", "[::1", "::1]",
    ])
    func badAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    // MARK: CIDR blocks

    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0", true), ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "11.0.0.0", false),
        ("10.0.0.0/8", "9.255.255.255", false),
        ("192.168.0.0/23", "192.168.1.255", true), ("192.168.0.0/23", "192.168.2.0", false),
        ("10.1.2.3/32", "10.1.2.3", true), ("10.1.2.3/32", "10.1.2.4", false),
        ("10.1.2.3", "10.1.2.3", true), ("10.1.2.3", "10.1.2.2", false),
        ("0.0.0.0/0", "1.2.3.4", true), ("0.0.0.0/0", "255.255.255.255", true), ("0.0.0.0/0", "::1", false),
        ("10.9.9.9/8", "10.0.0.1", true),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::", false),
        ("2001:db8::/33", "2001:db8:7fff::", true), ("2001:db8::/33", "2001:db8:8000::", false),
        ("::1/128", "::1", true), ("::1/128", "::2", false), ("::1", "::1", true),
        ("::/0", "2001:db8::1", true), ("::/0", "10.0.0.1", false),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("10.0.0.0/8", "::ffff:11.1.2.3", false),
        ("::ffff:10.0.0.0/104", "10.200.0.1", true), ("::ffff:10.0.0.0/104", "11.0.0.1", false),
        ("::ffff:0.0.0.0/96", "1.2.3.4", true), ("::ffff:0.0.0.0/96", "::ffff:1.2.3.4", true), ("::ffff:0.0.0.0/96", "::1", false),
        ("::ffff:10.1.2.3", "10.1.2.3", true),
    ])
    func contains(block: String, address: String, expected: Bool) throws {
        let cidr = try #require(CIDRBlock(block), "\(block)")
        let ip = try #require(IPAddress(address), "\(address)")
        #expect(cidr.contains(ip) == expected)
    }

    @Test(arguments: [
        ("10.0.0.0/8", 8, 4), ("10.1.2.3", 32, 4), ("0.0.0.0/0", 0, 4), ("10.0.0.0/32", 32, 4),
        ("::/0", 0, 16), ("2001:db8::/32", 32, 16), ("::1", 128, 16), ("::1/128", 128, 16),
        ("::ffff:10.0.0.0/104", 8, 4), ("::ffff:10.0.0.1", 32, 4), ("::ffff:10.0.0.1/128", 32, 4),
    ])
    func prefixLengths(block: String, prefix: Int, addressBytes: Int) throws {
        let cidr = try #require(CIDRBlock(block))
        #expect(cidr.prefixLength == prefix)
        #expect(cidr.network.bytes.count == addressBytes)
    }

    @Test func description() {
        #expect(CIDRBlock("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(CIDRBlock("10.0.0.1")?.description == "10.0.0.1/32")
        #expect(CIDRBlock("::ffff:10.0.0.0/104")?.description == "10.0.0.0/8")
    }

    @Test(arguments: [
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0 /8", "10.0.0.0/ 8",
        "10.0.0.0/8 ", "10.0.0.0/x", "10.0.0/8", "::/129", "2001:db8::/", "2001:db8::/1.5", "::ffff:10.0.0.0/95",
        "::ffff:10.0.0.0/129", "10.0.0.0/٨", "anything",
    ])
    func badBlocks(text: String) {
        #expect(CIDRBlock(text) == nil)
    }
}
