import Testing

@testable import HookwaySinks

struct MIMEEncodingTests {
    @Test func sha256MatchesTheFIPSVectors() {
        #expect(EventIDDigest.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(EventIDDigest.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            EventIDDigest.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
    }

    @Test func longNonASCIISubjectBecomesEncodedWordsOfAtMost75Characters() {
        let subject = String(repeating: "Überweisung über 10 000 € — ", count: 6)
        let encoded = MIMEEncoding.headerValue(subject)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        #expect(MIMEEncoding.headerValue("plain ascii") == "plain ascii")
        #expect(MIMEEncoding.headerValue("evil\r\nBcc: x@example.com") == "evilBcc: x@example.com")
    }

    @Test func quotedPrintableKeepsLinesShortAndRoundTrips() {
        let text = String(repeating: "ñandú = 100%; ", count: 20) + "\ntrailing space \n.dot"
        let encoded = MIMEEncoding.quotedPrintable(text)
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(encoded.contains("trailing space=20\r\n"))
        #expect(ParsedEmail.decodeQuotedPrintable(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func mailboxesParseAndRenderSafely() {
        #expect(MailAddress("Ops Team <ops@example.com>")?.address == "ops@example.com")
        #expect(MailAddress("\"Doe, Jane\" <jane@example.com>")?.headerText == "\"Doe, Jane\" <jane@example.com>")
        #expect(MailAddress("José <jose@example.com>")?.headerText == "=?UTF-8?B?Sm9zw6k=?= <jose@example.com>")
        #expect(MailAddress("not an address") == nil)
        #expect(
            MailAddress.list("a@example.com, \"B, C\" <b@example.com>; d@example.com") == [
                "a@example.com", "\"B, C\" <b@example.com>", "d@example.com",
            ]
        )
    }

    @Test func dateIsRFC5322() {
        #expect(EmailMessage.rfc5322Date(.init(millisecondsSinceEpoch: 1_751_364_000_000)) == "Tue, 01 Jul 2025 10:00:00 +0000")
        #expect(EmailMessage.rfc5322Date(.init(millisecondsSinceEpoch: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
    }
}
