import HookwayCore

/// One message ready for SMTP or the outbox: envelope plus RFC 5322 text with CRLF line ends
/// (not yet dot-stuffed; that is the SMTP client's business).
struct EmailMessage: Sendable {
    /// Hex SHA-256 of the event id: the `Message-ID`'s left part and the outbox file name.
    var idHash: String
    var from: MailAddress
    var to: [MailAddress]
    var cc: [MailAddress]
    var subject: String
    var text: String?
    var html: String?
    var date: Timestamp
    var eventID: String
    var eventType: String

    /// `<sha256(event.id)@hookway>`: the same for every re-send of one event, so a mailbox or
    /// a human can recognize a duplicate.
    var messageID: String { "<\(idHash)@hookway>" }
    /// `RCPT TO` addresses, each once.
    var recipients: [String] {
        var seen = Set<String>()
        return (to + cc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// Builds the message for `event` from rendered templates; a bad address is permanent.
    init(event: Event, rendered: EmailTemplates.Rendered, date: Timestamp = .now()) throws(SinkError) {
        idHash = EventIDDigest.hex(event.id)
        eventID = event.id
        eventType = event.type
        self.date = date
        guard let from = MailAddress(rendered.from) else {
            throw .permanent(.renderInvalid, "from renders to \"\(MailAddress.clean(rendered.from))\", not an email address (event \(event.id))")
        }
        self.from = from
        func addresses(_ entries: [String], field: String) throws(SinkError) -> [MailAddress] {
            var out: [MailAddress] = []
            for entry in entries {
                for part in MailAddress.list(entry) {
                    guard let address = MailAddress(part) else {
                        throw .permanent(.renderInvalid, "\(field) renders to \"\(part)\", not an email address (event \(event.id))")
                    }
                    out.append(address)
                }
            }
            return out
        }
        to = try addresses(rendered.to, field: "to")
        cc = try addresses(rendered.cc, field: "cc")
        guard !to.isEmpty || !cc.isEmpty else {
            throw .permanent(.renderInvalid, "no recipients: every to/cc template rendered empty for event \(event.id)")
        }
        subject = rendered.subject
        text = rendered.text
        html = rendered.html
    }

    /// The whole message, CRLF line ends.
    func bytes() -> [UInt8] {
        var lines: [String] = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(from.headerText)",
        ]
        if !to.isEmpty { lines.append("To: \(to.map(\.headerText).joined(separator: ",\r\n "))") }
        if !cc.isEmpty { lines.append("Cc: \(cc.map(\.headerText).joined(separator: ",\r\n "))") }
        lines += [
            "Subject: \(MIMEEncoding.headerValue(subject))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "X-Hookway-Event-Id: \(MIMEEncoding.headerValue(eventID))",
            "X-Hookway-Event-Type: \(MIMEEncoding.headerValue(eventType))",
        ]
        let textPart = text.map { ("text/plain", MIMEEncoding.quotedPrintable($0)) }
        let htmlPart = html.map { ("text/html", MIMEEncoding.quotedPrintable($0)) }
        if let textPart, let htmlPart {
            var boundary = "hookway-alt-\(idHash.prefix(24))"
            while textPart.1.contains(boundary) || htmlPart.1.contains(boundary) { boundary += "-x" }
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            // Least faithful first (RFC 2046 §5.1.4): clients show the last part they understand.
            for (type, body) in [textPart, htmlPart] {
                lines.append("--\(boundary)")
                lines.append("Content-Type: \(type); charset=utf-8")
                lines.append("Content-Transfer-Encoding: quoted-printable")
                lines.append("")
                lines.append(body)
            }
            lines.append("--\(boundary)--")
        } else {
            let (type, body) = textPart ?? htmlPart ?? ("text/plain", "")
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(body)
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// `Tue, 01 Jul 2025 10:00:00 +0000`, from a timestamp, without Foundation's formatters.
    static func rfc5322Date(_ t: Timestamp) -> String {
        // "2025-07-01T10:00:00.000Z"
        let iso = Array(t.rfc3339.utf8)
        func part(_ from: Int, _ to: Int) -> String { String(decoding: iso[from..<to], as: UTF8.self) }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
        let secs = t.seconds
        let dayNumber = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let weekday = days[Int(((dayNumber % 7) + 7) % 7)]
        let month = months[(Int(part(5, 7)) ?? 1) - 1]
        return "\(weekday), \(part(8, 10)) \(month) \(part(0, 4)) \(part(11, 19)) +0000"
    }
}
