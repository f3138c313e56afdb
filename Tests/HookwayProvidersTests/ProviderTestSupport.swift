import Crypto
import Foundation
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

/// A resolved secret for tests.
func secret(_ value: String) -> Secret { Secret(reference: "env:TEST_SECRET", bytes: Array(value.utf8)) }

func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Pinned clocks.
func at(seconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: seconds * 1000) }

/// The error code `body` throws, or `nil` when it returns.
func errorCode(_ body: () throws(WebhookError) -> AdapterOutcome) -> WebhookError.Code? {
    do {
        _ = try body()
        return nil
    } catch {
        return error.code
    }
}

/// The error `body` throws, or `nil` when it returns.
func webhookError(_ body: () throws(WebhookError) -> AdapterOutcome) -> WebhookError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The published event of an outcome, recording an issue otherwise.
func event(_ body: () throws(WebhookError) -> AdapterOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> Event? {
    do {
        switch try body() {
        case .event(let e): return e
        case .reply(let status, _, _):
            Issue.record("expected an event, got a \(status) reply", sourceLocation: sourceLocation)
            return nil
        }
    } catch {
        Issue.record("expected an event, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The request a `hookway simulate` would send for `delivery`.
func request(for delivery: SampleDelivery, source: SourceConfig, now: Timestamp) -> WebhookRequest {
    WebhookRequest(
        target: delivery.target(source: source.name),
        headers: delivery.headers,
        body: delivery.body,
        peer: IPAddress("10.1.2.3"),
        urlToken: delivery.pathSuffix,
        receivedAt: now
    )
}

/// Every catalog event's sample passes ``WebhookIntake`` and normalizes to the listed name and
/// kind; the tampered sample is refused with 401.
func checkSampleRoundTrip(
    _ adapter: any ProviderAdapter,
    _ entry: CatalogEvent,
    source: SourceConfig,
    senderKey: Secret? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let now = at(seconds: 1_700_000_000)
    guard let delivery = adapter.sample(event: entry.name, source: source, now: now, tampered: false, senderKey: senderKey),
        let tampered = adapter.sample(event: entry.name, source: source, now: now, tampered: true, senderKey: senderKey)
    else {
        Issue.record("no sample for \(entry.name)", sourceLocation: sourceLocation)
        return
    }
    let intake = WebhookIntake()
    if let e = event(
        { () throws(WebhookError) in try intake.process(request(for: delivery, source: source, now: now), source: source) },
        sourceLocation: sourceLocation
    ) {
        #expect(e.data.event == entry.name, sourceLocation: sourceLocation)
        #expect(e.data.entity?.kind == entry.entityKind, sourceLocation: sourceLocation)
        #expect(e.type == "\(source.provider).\(entry.name)", sourceLocation: sourceLocation)
        #expect(e.subject != nil, sourceLocation: sourceLocation)
        // The same delivery twice gets the same id.
        let again = event({ () throws(WebhookError) in try intake.process(request(for: delivery, source: source, now: now), source: source) })
        #expect(again?.id == e.id, sourceLocation: sourceLocation)
    }
    let error = webhookError { () throws(WebhookError) in try intake.process(request(for: tampered, source: source, now: now), source: source) }
    #expect(error?.status == 401, sourceLocation: sourceLocation)
}

/// ~`count` hostile bodies: random bytes, JSON-ish fragments, and mutations of `seeds`.
func fuzzBodies(seeds: [String], count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(state: seed)
    let alphabet = utf8("{}[]\":,.-+eE0123456789 \\/ntfrua\u{00e9}")
    var out: [[UInt8]] = [[], utf8("{"), utf8("[]"), utf8("null"), utf8("\"x\""), [0xEF, 0xBB, 0xBF], utf8(String(repeating: "[", count: 5000))]
    let seedBytes = seeds.map(utf8)
    while out.count < count {
        switch rng.next() % 4 {
        case 0:
            out.append((0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case 1:
            out.append((0..<Int(rng.next() % 64)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        default:
            var b = seedBytes[Int(rng.next() % UInt64(seedBytes.count))]
            for _ in 0..<(1 + Int(rng.next() % 4)) where !b.isEmpty {
                let i = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 3 {
                case 0: b[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.remove(at: i)
                default: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                }
            }
            out.append(b)
        }
    }
    return out
}
