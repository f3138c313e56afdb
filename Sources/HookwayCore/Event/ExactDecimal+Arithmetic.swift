extension ExactDecimal {
    /// Zero.
    public static let zero = ExactDecimal("0")!

    /// The value with its sign flipped (zero stays zero).
    public var negated: ExactDecimal {
        ExactDecimal(isNegative: !isNegative, integerDigits: integerDigits, fractionDigits: fractionDigits)
    }

    /// True when the value is zero.
    public var isZero: Bool { integerDigits.allSatisfy { $0 == 48 } && fractionDigits.allSatisfy { $0 == 48 } }

    /// Exact sum; the result has as many fraction digits as the longer operand.
    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        let scale = max(a.fractionDigits.count, b.fractionDigits.count)
        let x = a.scaledDigits(scale)
        let y = b.scaledDigits(scale)
        if a.isNegative == b.isNegative {
            return ExactDecimal(scaled: addMagnitudes(x, y), scale: scale, negative: a.isNegative)
        }
        // Different signs: subtract the smaller magnitude from the larger.
        if compareMagnitudes(x, y) >= 0 {
            return ExactDecimal(scaled: subtractMagnitudes(x, y), scale: scale, negative: a.isNegative)
        }
        return ExactDecimal(scaled: subtractMagnitudes(y, x), scale: scale, negative: b.isNegative)
    }

    public static func - (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal { a + b.negated }

    init(isNegative: Bool, integerDigits: [UInt8], fractionDigits: [UInt8]) {
        var text = isNegative ? "-" : ""
        text += integerDigits.isEmpty ? "0" : String(decoding: integerDigits, as: UTF8.self)
        if !fractionDigits.isEmpty { text += "." + String(decoding: fractionDigits, as: UTF8.self) }
        // Digits came from a valid decimal, so this parse cannot fail.
        self = ExactDecimal(text) ?? ExactDecimal.zeroValue
    }

    static let zeroValue: ExactDecimal = {
        guard let z = ExactDecimal("0") else { preconditionFailure("\"0\" is a decimal") }
        return z
    }()

    init(scaled digits: [UInt8], scale: Int, negative: Bool) {
        var d = digits
        if d.count <= scale { d = Array(repeating: 48, count: scale - d.count + 1) + d }
        let intPart = Array(d[0..<(d.count - scale)])
        let fracPart = Array(d[(d.count - scale)...])
        self.init(isNegative: negative, integerDigits: intPart, fractionDigits: fracPart)
    }

    /// Integer digits followed by the fraction padded to `scale` digits.
    func scaledDigits(_ scale: Int) -> [UInt8] {
        integerDigits + fractionDigits + Array(repeating: 48, count: scale - fractionDigits.count)
    }

    static func compareMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let x = a.drop { $0 == 48 }
        let y = b.drop { $0 == 48 }
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return 0
    }

    static func addMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var carry: UInt8 = 0
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 || j >= 0 || carry > 0 {
            let s = (i >= 0 ? a[i] - 48 : 0) + (j >= 0 ? b[j] - 48 : 0) + carry
            out.append(s % 10 + 48)
            carry = s / 10
            i -= 1
            j -= 1
        }
        return out.reversed()
    }

    /// `a - b` for magnitudes with `a >= b`.
    static func subtractMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var borrow: Int = 0
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 {
            var d = Int(a[i] - 48) - borrow - (j >= 0 ? Int(b[j] - 48) : 0)
            borrow = 0
            if d < 0 {
                d += 10
                borrow = 1
            }
            out.append(UInt8(d) + 48)
            i -= 1
            j -= 1
        }
        return out.reversed()
    }
}
