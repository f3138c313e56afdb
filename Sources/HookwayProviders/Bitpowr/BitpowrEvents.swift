/// Bitpowr's documented events (seed 001). The seed's two-column table loses alignment after
/// its ninth row; Hookway reads the nine left-column names as v1 and the
/// `resource.sub.action` rest as v2. The names never overlap, so both lists are always accepted.
enum BitpowrEvents {
    static let v1: [String] = [
        "transaction.incoming", "transaction.new", "transaction.success", "transaction.pending",
        "transaction.failed", "transaction.pending_approval", "transaction.awaiting_confirmation",
        "transaction.queue", "transaction.processing",
    ]

    static let v2: [String] = [
        "accounts.created", "accounts.updated", "accounts.archived", "accounts.frozen", "accounts.policy.updated",
        "assets.created",
        "address.created", "address.updated", "address.flagged", "address.blocked",
        "customer.created", "customer.updated", "customer.deleted", "customer.attached_to_address",
        "transaction.deposit.created", "transaction.deposit.success", "transaction.deposit.pending",
        "transaction.deposit.awaiting_confirmation", "transaction.deposit.aml_flagged",
        "transaction.transfer.created", "transaction.transfer.success", "transaction.transfer.awaiting_confirmation",
        "transaction.transfer.failed", "transaction.transfer.cancelled", "transaction.transfer.rejected",
        "transaction.transfer.dropped", "transaction.transfer.approved", "transaction.transfer.approved_by_counterparty",
        "transaction.transfer.rejected_by_counterparty",
        "transaction.compliance.aml_flag",
        "transaction.contract.deployment.failed", "transaction.contract.deployment.success",
        "transaction.contract.interaction.success", "transaction.contract.interaction.failed",
    ]

    /// Kind = the first segment, singular (`accounts` → `account`); `transaction` when empty.
    static func entityKind(of event: String) -> String {
        let first = EventNaming.singular(EventNaming.firstSegment(event))
        return first.isEmpty ? "transaction" : first
    }
}
