/// Amounts given in a currency's minor units (cents, satoshis), converted exactly to the
/// decimal text of `data.amount` — digits are moved, never divided in floating point.
public enum MinorUnits {
    /// Digits after the decimal point of one major unit, by upper-cased currency code; `nil`
    /// when Hookway does not know the currency (no amount is guessed then).
    ///
    /// ISO 4217 codes have 2 unless listed; crypto assets follow their smallest unit.
    public static func exponent(of currency: String) -> Int? {
        let code = currency.uppercased()
        if let listed = listed[code] { return listed }
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return nil }
        return 2
    }

    static let listed: [String: Int] = [
        // ISO 4217 currencies without minor units, and those with three.
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        // Crypto: satoshis; stablecoins are counted in cents by the providers that send `centAmount`.
        "BTC": 8, "SAT": 0, "SATS": 0, "USDC": 2, "USDT": 2,
    ]

    /// `amount` (an integer count of minor units: digits with an optional `-`, as a JSON string
    /// or an integer number) as plain decimal text with `exponent` fraction digits, e.g.
    /// `("12345", 2)` → `"123.45"`, `("5", 8)` → `"0.00000005"`. `nil` for anything else.
    public static func decimalText(_ amount: JSONValue?, exponent: Int) -> String? {
        let text: String
        switch amount {
        case .string(let s): text = s
        case .number(let n): text = n
        default: return nil
        }
        var digits = Array(text.utf8)[...]
        var negative = false
        if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 64, exponent >= 0, exponent <= 18, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        while digits.count > 1, digits.first == 48 { digits = digits.dropFirst() }
        var padded = Array(digits)
        if padded.count <= exponent { padded = Array(repeating: 48, count: exponent - padded.count + 1) + padded }
        let split = padded.count - exponent
        var out = String(decoding: padded[..<split], as: UTF8.self)
        if exponent > 0 { out += "." + String(decoding: padded[split...], as: UTF8.self) }
        let isZero = padded.allSatisfy { $0 == 48 }
        return negative && !isZero ? "-" + out : out
    }
}
