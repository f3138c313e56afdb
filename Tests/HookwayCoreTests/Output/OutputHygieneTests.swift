import Testing

@testable import HookwayCore

@Suite struct OutputHygieneTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a\u{1B}]0;pwned\u{07}b", "a\\u{1B}]0;pwned\\u{07}b"),
        ("line\nforged=1", "line\\nforged=1"),
        ("tab\there", "tab\\there"),
        ("c1\u{9B}31m", "c1\\u{9B}31m"),
        ("bidi\u{202E}gnp.exe", "bidi\\u{202E}gnp.exe"),
        ("del\u{7F}", "del\\u{7F}"),
    ])
    func logSafeEscapesControls(input: String, expected: String) {
        #expect(LogSafe.text(input) == expected)
    }

    @Test func logSafeTruncates() {
        let long = String(repeating: "x", count: 2_000)
        let safe = LogSafe.text(long, limit: 64)
        #expect(safe.hasPrefix(String(repeating: "x", count: 64) + "…(2000 bytes)"))
        #expect(safe.count < 90)
    }

    /// `hookway tail` output: no C0 control byte but tab and newline, whatever the event says.
    @Test func terminalTextKeepsOnlyTabAndNewline() {
        let hostile = "ok\t\n\u{1B}[2J\u{1B}]52;c;ZXZpbA==\u{07}\r\u{00}\u{9B}"
        let safe = TerminalSafe.text(hostile)
        let controls = safe.utf8.filter { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A }
        #expect(controls.isEmpty)
        #expect(safe.hasPrefix("ok\t\n"))
        #expect(!safe.unicodeScalars.contains("\u{9B}"))
    }

    @Test func terminalJSONStaysValidJSON() throws {
        let bytes = Array(#"{"a":"x\u001b[31my","b":"raw"#.utf8) + [0x1B] + Array(#"z","c":"\#u{9B}"}"#.utf8)
        let safe = TerminalSafe.json(bytes)
        #expect(!safe.utf8.contains(0x1B))
        let parsed = try JSONParser.parse(Array(safe.utf8))
        #expect(parsed["b"] == .string("raw\u{1B}z"))
        #expect(parsed["c"] == .string("\u{9B}"))
    }

    @Test func scrubberRemovesSecretsAsTheyAreAndPercentEncoded() {
        let scrubber = SecretScrubber([
            Secret(reference: "env:CRM_PATH_KEY", bytes: Array("p@th/s3cret".utf8)),
            Secret(reference: "env:CRM_USER", bytes: Array("hunter22".utf8)),
            Secret(reference: "env:SHORT", bytes: Array("ab".utf8)),
        ])
        let message = "POST https://hunter22:x@crm.example/hooks/p%40th%2Fs3cret/x answered 500; echo p@th/s3cret and p%40th/s3cret; ab stays"
        let scrubbed = scrubber.scrub(message)
        #expect(!scrubbed.contains("hunter22"))
        #expect(!scrubbed.contains("s3cret"))
        #expect(scrubbed.contains("<secret env:CRM_USER>"))
        #expect(scrubbed.contains("<secret env:CRM_PATH_KEY>"))
        #expect(scrubbed.hasSuffix("ab stays"))
    }
}
