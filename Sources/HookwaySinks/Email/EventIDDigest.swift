import Crypto

/// The lowercase hex SHA-256 of an event id, for the `Message-ID` a mail carries (the same for
/// every re-send of one event).
enum EventIDDigest {
    static func hex(_ input: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: SHA256.hash(data: Array(input.utf8)).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }
}
