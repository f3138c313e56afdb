import NIOCore

/// One SMTP reply: a three-digit code and its text lines (`250-…` continuation lines included).
struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    var code: Int
    var lines: [String]

    var isPositive: Bool { (200..<400).contains(code) }
    var isTransientFailure: Bool { (400..<500).contains(code) }
    var isPermanentFailure: Bool { code >= 500 }

    /// `250 2.0.0 OK` (first line only: EHLO replies are long).
    var description: String { "\(code) \(lines.first ?? "")\(lines.count > 1 ? " …" : "")" }

    /// EHLO keywords, upper-cased: `["PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN", …]`.
    var extensions: [String] { lines.dropFirst().map { $0.uppercased() } }
}

/// Splits the byte stream into replies (RFC 5321 §4.2: `ddd-text` continues, `ddd text` ends).
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply
    private var code: Int?
    private var lines: [String] = []
    /// A server sending a line longer than this is broken or hostile.
    private static let maxLineLength = 8192

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLineLength { throw SMTPClientError(.protocolViolation("reply line too long")) }
            return .needMoreData
        }
        var line = buffer.readString(length: lf - buffer.readerIndex + 1) ?? ""
        line.removeLast()
        if line.hasSuffix("\r") { line.removeLast() }
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let c = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(c) else {
            throw SMTPClientError(.protocolViolation("not an SMTP reply: \"\(line.prefix(80))\""))
        }
        if let code, code != c { throw SMTPClientError(.protocolViolation("reply code changed mid-reply (\(code) then \(c))")) }
        code = c
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { return .continue }
        context.fireChannelRead(Self.wrapInboundOut(SMTPReply(code: c, lines: lines)))
        code = nil
        lines = []
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
