import Testing

@testable import HookwayCore

@Suite("Condition")
struct ConditionTests {
    static let event = Event(
        id: "evt-1",
        data: EventData(
            provider: "bitnob",
            source: "bitnob",
            event: "btc.lightning.received.success",
            entity: EntityRef(kind: "transaction", id: "tx-1"),
            status: "success",
            amount: "10000.00",
            currency: "BTC",
            payload: .object([
                JSONMember("event", .string("btc.lightning.received.success")),
                JSONMember(
                    "data",
                    .object([
                        JSONMember("chain", .string("BTC")),
                        JSONMember("fee", .number("0.000123456789012345678")),
                        JSONMember("big", .number("1e3")),
                        JSONMember("confirmed", .bool(true)),
                        JSONMember("memo", .null),
                        JSONMember("tags", .array([.string("a")])),
                    ])
                ),
            ])
        ),
        authMethod: .signature,
        receivedAt: Timestamp(millisecondsSinceEpoch: 0)
    )

    static func decimal(_ s: String) -> Condition.Operand { .decimal(ExactDecimal(s)!) }

    @Test(arguments: [
        // eq / ne
        (Condition(field: "data.status", op: .eq, operand: .text("success")), true),
        (Condition(field: "data.status", op: .eq, operand: .text("SUCCESS")), false),
        (Condition(field: "data.amount", op: .eq, operand: .text("10000", numeric: true)), true),  // exact decimal equality
        (Condition(field: "data.amount", op: .eq, operand: .text("1e4", numeric: true)), true),
        (Condition(field: "data.amount", op: .eq, operand: .text("1e4")), false),  // a string operand compares text
        (Condition(field: "data.amount", op: .eq, operand: .text("10000.01")), false),
        (Condition(field: "data.payload.data.chain", op: .eq, operand: .text("BTC")), true),
        (Condition(field: "data.payload.data.confirmed", op: .eq, operand: .text("true")), true),
        (Condition(field: "data.payload.data.big", op: .eq, operand: .text("1000", numeric: true)), true),
        (Condition(field: "data.payload.data.memo", op: .eq, operand: .text("null")), false),
        (Condition(field: "data.payload.data.tags", op: .eq, operand: .text("a")), false),
        (Condition(field: "data.missing", op: .eq, operand: .text("")), false),
        (Condition(field: "data.status", op: .ne, operand: .text("failed")), true),
        (Condition(field: "data.status", op: .ne, operand: .text("success")), false),
        (Condition(field: "data.missing", op: .ne, operand: .text("x")), true),  // a missing field satisfies ne
        // in
        (Condition(field: "data.currency", op: .in, operand: .list(["BTC", "USDT"])), true),
        (Condition(field: "data.currency", op: .in, operand: .list(["USDT"])), false),
        (Condition(field: "data.currency", op: .in, operand: .list([])), false),
        (Condition(field: "data.amount", op: .in, operand: .list(["5", "10000.00"])), true),
        (Condition(field: "data.amount", op: .in, operand: .list(["5", "10000"])), false),  // in compares text
        (Condition(field: "data.missing", op: .in, operand: .list(["x"])), false),
        // numeric, exact
        (Condition(field: "data.amount", op: .gte, operand: decimal("10000")), true),
        (Condition(field: "data.amount", op: .gt, operand: decimal("10000")), false),
        (Condition(field: "data.amount", op: .gt, operand: decimal("9999.999999999999999999")), true),
        (Condition(field: "data.amount", op: .lt, operand: decimal("10000.000000000000000001")), true),
        (Condition(field: "data.amount", op: .lte, operand: decimal("10000")), true),
        (Condition(field: "data.amount", op: .lt, operand: decimal("10000")), false),
        (Condition(field: "data.amount", op: .gt, operand: decimal("-1")), true),
        (Condition(field: "data.payload.data.fee", op: .gt, operand: decimal("0.000123456789012345677")), true),
        (Condition(field: "data.payload.data.fee", op: .lt, operand: decimal("0.000123456789012345679")), true),
        (Condition(field: "data.payload.data.big", op: .gte, operand: decimal("1000")), true),
        (Condition(field: "data.status", op: .gt, operand: decimal("0")), false),  // not a number
        (Condition(field: "data.payload.data.confirmed", op: .gt, operand: decimal("0")), false),
        (Condition(field: "data.missing", op: .lt, operand: decimal("0")), false),
        (Condition(field: "data.missing", op: .gte, operand: decimal("0")), false),
        // exists
        (Condition(field: "data.amount", op: .exists, operand: .flag(true)), true),
        (Condition(field: "data.amount", op: .exists, operand: .flag(false)), false),
        (Condition(field: "data.reference", op: .exists, operand: .flag(false)), true),
        (Condition(field: "data.payload.data.memo", op: .exists, operand: .flag(true)), false),  // null is absent
        (Condition(field: "data.payload.data.tags", op: .exists, operand: .flag(true)), true),
        (Condition(field: "data.payload.data.chain.x", op: .exists, operand: .flag(false)), true),
        // an operand of the wrong shape never matches
        (Condition(field: "data.amount", op: .gt, operand: .text("1")), false),
        (Condition(field: "data.amount", op: .exists, operand: .text("true")), false),
    ])
    func isSatisfied(condition: Condition, expected: Bool) {
        #expect(condition.isSatisfied(by: Self.event) == expected)
    }

    @Test func negativeAmountsCompareExactly() {
        var event = Self.event
        event.data.amount = "-0.5"
        #expect(Condition(field: "data.amount", op: .lt, operand: Self.decimal("0")).isSatisfied(by: event))
        #expect(Condition(field: "data.amount", op: .gt, operand: Self.decimal("-1")).isSatisfied(by: event))
        event.data.amount = "-0"
        #expect(Condition(field: "data.amount", op: .eq, operand: .text("0", numeric: true)).isSatisfied(by: event))
        #expect(Condition(field: "data.amount", op: .gte, operand: Self.decimal("0")).isSatisfied(by: event))
    }
}
