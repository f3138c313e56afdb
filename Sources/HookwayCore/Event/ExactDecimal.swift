/// An exact decimal number held as its digits, for amounts that must never pass through
/// `Double`. Parses `-?digits[.digits][(e|E)[+-]digits]` and compares exactly.
///
/// ```swift
/// ExactDecimal("1000")! > ExactDecimal("999.999999999999999999")!   // true
/// ExactDecimal("1.2E-7")!.plainText                                 // "0.00000012"
/// ```
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// True for values below zero (never for zero itself).
    public let isNegative: Bool
    /// Digits of the integer part without leading zeros ("" for zero).
    public let integerDigits: [UInt8]
    /// Digits of the fraction as written after moving the point (trailing zeros kept).
    public let fractionDigits: [UInt8]

    /// Parses a decimal literal; `nil` when `text` is not one.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        } else if bytes.first == UInt8(ascii: "+") {
            bytes = bytes.dropFirst()
        }
        var intPart: [UInt8] = []
        var fracPart: [UInt8] = []
        var exponent = 0
        var i = bytes.startIndex
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        while i < bytes.endIndex, isDigit(bytes[i]) {
            intPart.append(bytes[i])
            i += 1
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.endIndex, isDigit(bytes[i]) {
                fracPart.append(bytes[i])
                i += 1
            }
            if fracPart.isEmpty { return nil }
        }
        if intPart.isEmpty { return nil }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var digits = 0
            var value = 0
            while i < bytes.endIndex, isDigit(bytes[i]) {
                // Exponents beyond a few thousand are hostile input, not amounts.
                value = value * 10 + Int(bytes[i] - 48)
                if value > 4096 { return nil }
                digits += 1
                i += 1
            }
            if digits == 0 { return nil }
            exponent = expNegative ? -value : value
        }
        if i != bytes.endIndex { return nil }
        // Move the point by the exponent.
        if exponent > 0 {
            let moved = min(exponent, fracPart.count)
            intPart += fracPart[0..<moved]
            fracPart.removeFirst(moved)
            intPart += Array(repeating: 48, count: exponent - moved)
        } else if exponent < 0 {
            let shift = -exponent
            let moved = min(shift, intPart.count)
            fracPart = Array(intPart[(intPart.count - moved)...]) + fracPart
            intPart.removeLast(moved)
            fracPart = Array(repeating: 48, count: shift - moved) + fracPart
        }
        // One pass: a hostile amount may carry hundreds of thousands of leading zeros.
        if let firstSignificant = intPart.firstIndex(where: { $0 != 48 }) {
            if firstSignificant > 0 { intPart = Array(intPart[firstSignificant...]) }
        } else {
            intPart = []
        }
        self.integerDigits = intPart
        self.fractionDigits = fracPart
        self.isNegative = negative && !(intPart.isEmpty && fracPart.allSatisfy { $0 == 48 })
    }

    /// Plain decimal text, no exponent: `-?digits[.digits]`, fraction digits as written.
    public var plainText: String {
        var out: [UInt8] = isNegative ? [UInt8(ascii: "-")] : []
        out += integerDigits.isEmpty ? [48] : integerDigits
        if !fractionDigits.isEmpty {
            out.append(UInt8(ascii: "."))
            out += fractionDigits
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { plainText }

    /// The digits that carry the value as written: the integer part without its leading zeros
    /// plus every fraction digit (`0.0100` has 4, `1200` has 4).
    public var significantDigitCount: Int { integerDigits.count + fractionDigits.count }

    /// The bound `limits.maxAmountDigits` defaults to: what a PostgreSQL `NUMERIC(38, …)`, a
    /// Decimal128 or a Java `BigDecimal` column in a downstream system typically holds.
    public static let defaultMaxSignificantDigits = 38

    /// True for values above zero.
    public var isPositive: Bool { !isNegative && !(integerDigits.isEmpty && fractionDigits.allSatisfy { $0 == 48 }) }

    /// True when `text` is exactly `-?digits[.digits]` (what `data.amount` must look like).
    public static func isPlainDecimal(_ text: some StringProtocol) -> Bool {
        var sawDigit = false
        var sawPoint = false
        var digitAfterPoint = false
        for (i, b) in text.utf8.enumerated() {
            switch b {
            case UInt8(ascii: "-") where i == 0: continue
            case 48...57:
                sawDigit = true
                if sawPoint { digitAfterPoint = true }
            case UInt8(ascii: ".") where sawDigit && !sawPoint: sawPoint = true
            default: return false
            }
        }
        return sawDigit && (!sawPoint || digitAfterPoint)
    }

    private var trimmedFraction: ArraySlice<UInt8> {
        var f = fractionDigits[...]
        while f.last == 48 { f = f.dropLast() }
        return f
    }

    private static func compareMagnitude(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.integerDigits.count != b.integerDigits.count {
            return a.integerDigits.count < b.integerDigits.count ? -1 : 1
        }
        for (x, y) in zip(a.integerDigits, b.integerDigits) where x != y { return x < y ? -1 : 1 }
        let fa = a.trimmedFraction
        let fb = b.trimmedFraction
        for k in 0..<max(fa.count, fb.count) {
            let x = k < fa.count ? fa[fa.startIndex + k] : 48
            let y = k < fb.count ? fb[fb.startIndex + k] : 48
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// Three-way exact comparison: -1, 0 or 1.
    public static func compare(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.isNegative != b.isNegative { return a.isNegative ? -1 : 1 }
        let m = compareMagnitude(a, b)
        return a.isNegative ? -m : m
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) < 0 }
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) == 0 }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(isNegative)
        hasher.combine(integerDigits)
        hasher.combine(Array(trimmedFraction))
    }
}

extension ExactDecimal {
    /// The `data.amount` text for a provider's JSON value: strings copied as sent, numbers with
    /// any exponent expanded; `nil` unless the result is `-?digits[.digits]`.
    ///
    /// Redundant leading zeros of the integer part are dropped (`"007.50"` → `"7.50"`), which
    /// keeps the value and bounds the text by its significant digits.
    public static func amountText(from value: JSONValue?) -> String? {
        switch value {
        case .string(let s):
            return isPlainDecimal(s) ? withoutRedundantLeadingZeros(s) : nil
        case .number(let literal):
            if isPlainDecimal(literal) { return withoutRedundantLeadingZeros(literal) }
            return ExactDecimal(literal)?.plainText
        default:
            return nil
        }
    }

    /// The significant digits of a plain decimal text (see ``significantDigitCount``), counted
    /// without building the value.
    public static func significantDigitCount(ofPlain text: some StringProtocol) -> Int {
        var count = 0
        var leading = true
        for b in text.utf8 {
            switch b {
            case 48 where leading: continue
            case 48...57:
                leading = false
                count += 1
            case UInt8(ascii: "."):
                leading = false
            default:
                continue
            }
        }
        return count
    }

    static func withoutRedundantLeadingZeros(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let signLength = bytes.first == UInt8(ascii: "-") ? 1 : 0
        var start = signLength
        // Keep one zero before the point or as the whole number.
        while start + 1 < bytes.count, bytes[start] == 48, bytes[start + 1] != UInt8(ascii: ".") { start += 1 }
        guard start > signLength else { return text }
        return String(decoding: bytes[..<signLength] + bytes[start...], as: UTF8.self)
    }
}
