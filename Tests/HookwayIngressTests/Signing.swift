import Foundation

enum Bodies {
    static let bitnobPayout =
        #"{"event":"payout.transfer.success","data":{"id":"1ad3d098-e6f4-4811-9a74-ae5371b3d722","fees":"0","type":"debit","amount":"35.81","action":"ngn_account_payout","status":"success","channel":"payout","reference":"45b873bd49fa","companyId":"45422f21-9a0e-479e-9e10-615556448a78","callbackUrl":""}}"#

    static func bitnob(id: String = UUID().uuidString.lowercased(), status: String = "success", amount: String = "\"35.81\"") -> [UInt8] {
        Array(#"{"event":"payout.transfer.\#(status)","data":{"id":"\#(id)","amount":\#(amount),"status":"\#(status)","reference":"ref-1"}}"#.utf8)
    }
}
