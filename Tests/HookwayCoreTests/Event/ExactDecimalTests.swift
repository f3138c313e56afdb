import Testing

@testable import HookwayCore

@Suite("ExactDecimal")
struct ExactDecimalTests {
    private func d(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(text) else {
            Issue.record("\(text) did not parse")
            return ExactDecimal("0")!
        }
        return value
    }

    /// (smaller, larger): pairs a float would get wrong or that test sign and scale handling.
    @Test(arguments: [
        ("999.999999999999999999", "1000"),
        ("0.1", "0.10000000000000000001"),
        ("9007199254740992", "9007199254740993"),
        ("-1000", "-999.999999999999999999"),
        ("-0.000000000000000001", "0"),
        ("-1", "1"),
        ("0", "0.000000000000000000001"),
        ("1.2E-7", "1.3e-7"),
        ("99", "1e2"),
        ("1e3", "1000.0000000001"),
        ("-1e3", "-999"),
        ("12", "100"),
    ])
    func ordering(smaller: String, larger: String) {
        #expect(d(smaller) < d(larger))
        #expect(d(larger) > d(smaller))
        #expect(d(smaller) != d(larger))
        #expect(ExactDecimal.compare(d(smaller), d(larger)) == -1)
        #expect(ExactDecimal.compare(d(larger), d(smaller)) == 1)
    }

    @Test(arguments: [
        ("-0", "0"),
        ("-0.000", "0"),
        ("0.0", "0"),
        ("1e3", "1000"),
        ("1E+3", "1000.000"),
        ("1.5e3", "1500"),
        ("100.10", "100.1"),
        ("12000e-3", "12"),
        ("0.5e1", "5"),
        ("00012.50", "12.5"),
        ("-1.2E-7", "-0.00000012"),
    ])
    func equality(a: String, b: String) {
        #expect(d(a) == d(b))
        #expect(ExactDecimal.compare(d(a), d(b)) == 0)
        #expect(d(a).hashValue == d(b).hashValue)
        #expect(Set([d(a), d(b)]).count == 1)
    }

    @Test(arguments: [
        ("0", "0"),
        ("-0", "0"),
        ("-0.0", "0.0"),
        ("1e3", "1000"),
        ("1.5e3", "1500"),
        ("1.2E-7", "0.00000012"),
        ("100.10", "100.10"),
        ("0.000123456789012345678", "0.000123456789012345678"),
        ("-12.5", "-12.5"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
        ("1.23e1", "12.3"),
        ("1.234e2", "123.4"),
        ("12.5e-1", "1.25"),
        ("12.5e-3", "0.0125"),
        ("5e0", "5"),
        ("000.5", "0.5"),
        ("-1e-2", "-0.01"),
    ])
    func plainText(input: String, expected: String) {
        #expect(d(input).plainText == expected)
        #expect(d(input).description == expected)
    }

    @Test(arguments: [
        "", "-", "+", ".", "-.", ".5", "5.", "1..2", "1.2.3", "e3", "1e", "1e+", "1e-", "1ee3", "1e3.5", "1,5", "1_000",
        " 1", "1 ", "0x10", "--1", "-+1", "NaN", "Infinity", "١٢", "1e99999", "1e4097",
    ])
    func invalidFormsAreNil(text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test func zeroIsNeverNegative() {
        #expect(d("-0").isNegative == false)
        #expect(d("-0e5").isNegative == false)
        #expect(d("-0.00").isNegative == false)
        #expect(d("-0.01").isNegative == true)
    }

    @Test func sortingMixedForms() {
        let sorted = ["1e3", "-5", "0.5", "-0", "999.9999", "-5.0001", "2E-1"].map { d($0) }.sorted()
        #expect(sorted.map(\.plainText) == ["-5.0001", "-5", "0", "0.2", "0.5", "999.9999", "1000"])
    }

    @Test(arguments: [
        ("12.50", true), ("-3", true), ("0", true), ("-0.0", true),
        ("", false), ("-", false), ("1.", false), (".5", false), ("1e3", false), ("+1", false), ("1.2.3", false),
        ("1-", false), ("--1", false), (" 1", false), ("1,000", false),
    ])
    func isPlainDecimal(text: String, expected: Bool) {
        #expect(ExactDecimal.isPlainDecimal(text) == expected)
    }

    @Test(arguments: [
        (JSONValue.string("100.10"), "100.10" as String?),
        (.string("0.000123456789012345678"), "0.000123456789012345678"),
        (.string("-5"), "-5"),
        (.string("1e3"), nil),
        (.string("1,000.00"), nil),
        (.string(" 12"), nil),
        (.string(""), nil),
        (.number("100.10"), "100.10"),
        (.number("0.000123456789012345678"), "0.000123456789012345678"),
        (.number("1.5e3"), "1500"),
        (.number("1E3"), "1000"),
        (.number("1.2E-7"), "0.00000012"),
        (.number("-2.5e+2"), "-250"),
        (.number("1e99999"), nil),
        (.bool(true), nil),
        (.null, nil),
        (.object([]), nil),
        (.array([.string("1")]), nil),
    ])
    func amountText(value: JSONValue, expected: String?) {
        #expect(ExactDecimal.amountText(from: value) == expected)
    }

    @Test func amountTextOfNothingIsNil() {
        #expect(ExactDecimal.amountText(from: nil) == nil)
    }
}
