import Crypto
import Foundation

/// Independent signers for the tests (not the adapters' own code).
enum Sign {
    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bitnob(_ body: [UInt8], secret: String = "bitnob_test_secret") -> String {
        hex(HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8))))
    }

    static func bitcapital(target: String, timestamp: String, body: [UInt8], secret: String = "bc_test_secret") -> String {
        let signed = Array("POST,\(target),\(timestamp),".utf8) + body
        return hex(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8))))
    }
}

enum Bodies {
    static let bitnobPayout =
        #"{"event":"payout.transfer.success","data":{"id":"1ad3d098-e6f4-4811-9a74-ae5371b3d722","fees":"0","type":"debit","amount":"35.81","action":"ngn_account_payout","status":"success","channel":"payout","reference":"45b873bd49fa","companyId":"45422f21-9a0e-479e-9e10-615556448a78","callbackUrl":""}}"#

    static func bitnob(id: String = UUID().uuidString.lowercased(), status: String = "success", amount: String = "\"35.81\"") -> [UInt8] {
        Array(#"{"event":"payout.transfer.\#(status)","data":{"id":"\#(id)","amount":\#(amount),"status":"\#(status)","reference":"ref-1"}}"#.utf8)
    }
}
