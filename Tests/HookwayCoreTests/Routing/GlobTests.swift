import Testing

@testable import HookwayCore

@Suite("Glob")
struct GlobTests {
    @Test(arguments: [
        ("bitso.funding.complete", "bitso.funding.complete", true),
        ("bitso.funding.complete", "bitso.funding.completed", false),
        ("bitso.funding.complete", "xbitso.funding.complete", false),
        ("bitso.funding.complete", "", false),
        ("*", "", true),
        ("*", "anything.at.all", true),
        ("**", "a", true),
        ("bitnob.*.received.success", "bitnob.btc.lightning.received.success", true),  // '*' spans dots
        ("bitnob.*.received.success", "bitnob.usdt.received.success", true),
        ("bitnob.*.received.success", "bitnob..received.success", true),
        ("bitnob.*.received.success", "bitnob.received.success", false),
        ("bitnob.*.received.success", "bitnob.btc.received.failed", false),
        ("*withdrawal*", "bitso.withdrawal.complete", true),
        ("*withdrawal*", "withdrawal", true),
        ("*withdrawal*", "bitnob.payout.withdrawal", true),
        ("*withdrawal*", "bitso.withdrawl.complete", false),
        ("bitso.*", "bitso.", true),
        ("bitso.*", "bitso", false),
        ("*.success", ".success", true),
        ("*.success", "success", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("a*a", "aba", true),
        ("ab*ba", "aba", false),
        ("ab*ba", "abba", true),
        ("a*b*c", "abc", true),
        ("a*b*c", "acb", false),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXcYc", false),
        ("*a*a*", "a", false),
        ("*a*a*", "xaxa", true),
        ("*aaa*", "aa", false),
        ("*ab*ab*", "abab", true),
        ("*ab*ab*", "aab", false),
        ("x*y*z", "xyz", true),
        ("x*y*z", "xz", false),
        ("é*ü", "é.中.ü", true),
        ("*中*", "x.中", true),
        ("Bitso.*", "bitso.x", false),  // case-sensitive
    ])
    func matches(pattern: String, text: String, expected: Bool) {
        #expect(Glob(pattern).matches(text) == expected)
    }

    @Test func descriptionIsThePattern() {
        #expect(Glob("bitnob.*").description == "bitnob.*")
        #expect(Glob("bitnob.*").pattern == "bitnob.*")
    }

    @Test(arguments: [
        ("", "empty"),
        ("a b", "white space"),
        ("a\tb", "white space"),
        ("a\u{7F}", "control"),
        ("bitso.[a-z]", "unsupported glob syntax '['"),
        ("bitso.?", "unsupported glob syntax '?'"),
        ("{a,b}", "unsupported glob syntax '{'"),
        ("!bitso", "unsupported glob syntax '!'"),
    ])
    func problems(pattern: String, messageContains: String) {
        let problem = Glob.problem(in: pattern)
        #expect(problem?.contains(messageContains) == true, "\(problem ?? "nil")")
    }

    @Test(arguments: ["*", "bitso.*", "*withdrawal*", "a.b-c_d", "é*"])
    func goodPatternsHaveNoProblem(pattern: String) {
        #expect(Glob.problem(in: pattern) == nil)
    }

    /// The matcher agrees with a simple recursive reference implementation.
    @Test func agreesWithAReferenceMatcher() {
        func reference(_ p: ArraySlice<Character>, _ t: ArraySlice<Character>) -> Bool {
            guard let first = p.first else { return t.isEmpty }
            if first == "*" {
                var rest = t
                while true {
                    if reference(p.dropFirst(), rest) { return true }
                    if rest.isEmpty { return false }
                    rest = rest.dropFirst()
                }
            }
            guard let c = t.first, c == first else { return false }
            return reference(p.dropFirst(), t.dropFirst())
        }
        var rng = SplitMix64(seed: 42)
        let alphabet: [Character] = ["a", "b", "."]
        for _ in 0..<3000 {
            let pattern = String((0..<Int(rng.next() % 7)).map { _ in (["a", "b", ".", "*"] as [Character])[Int(rng.next() % 4)] })
            let text = String((0..<Int(rng.next() % 8)).map { _ in alphabet[Int(rng.next() % 3)] })
            #expect(
                Glob(pattern).matches(text) == reference(Array(pattern)[...], Array(text)[...]),
                "pattern \(pattern) text \(text)"
            )
        }
    }
}

/// A small deterministic generator, so failing random cases reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
