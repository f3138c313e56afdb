import Foundation
import HookwayCore
import HookwaySinks
import Testing

/// The CRM sink against a real HTTP server on loopback.
@Suite(.timeLimit(.minutes(2)))
struct CRMSinkTests {
    static func sink(_ json: String, environment: [String: String] = ["CRM_TOKEN": "tok-123"]) throws -> CRMSink {
        try CRMSink.make(sinkConfig("crm", kind: .crm, json), environment: environment)
    }

    @Test func bodyTemplateKeepsJSONTypesAndHeadersCarryIdempotencyKeyAndSecret() async throws {
        try await CRMRecorder.withServer { base, recorder in
            let sink = try Self.sink(
                """
                { "kind": "crm", "topics": ["crm.users"], "method": "put",
                  "url": "\(base)/contacts/{data.payload.data.customerEmail}?source={data.provider}",
                  "headers": { "Authorization": "Bearer {env:CRM_TOKEN}", "X-Event-Type": "{type}" },
                  "body": { "externalId": "{subject}", "amount": "{data.payload.data.amount}", "tier": "{data.payload.data.tier}",
                            "profile": "{data.payload.data.profile}", "tags": "{data.payload.data.tags}",
                            "note": "{data.provider} withdrawal of {data.amount} {data.currency}", "missing": "{data.payload.data.nope}",
                            "static": 42, "flag": false, "nested": { "email": "{data.payload.data.customerEmail}", "list": ["{id}", true, null] } } }
                """
            )
            let event = sampleEvent(id: "evt-crm-1")
            try await sink.deliver(event)
            await sink.shutdown()

            let request = try #require(recorder.requests.first)
            #expect(recorder.requests.count == 1)
            #expect(request.method == "PUT")
            #expect(request.uri == "/contacts/alice%40example.com?source=bitso")
            #expect(
                request.body
                    == #"{"externalId":"w-1","amount":15000.50,"tier":2,"profile":{"name":"Alice"},"tags":["vip","mx"],"note":"bitso withdrawal of 15000.50 MXN","missing":null,"static":42,"flag":false,"nested":{"email":"alice@example.com","list":["evt-crm-1",true,null]}}"#
            )
            #expect(request.headers["idempotency-key"] == "evt-crm-1")
            #expect(request.headers["authorization"] == "Bearer tok-123")
            #expect(request.headers["x-event-type"] == "bitso.withdrawal.pending")
            #expect(request.headers["content-type"] == "application/json")
        }
    }

    @Test func status503WithRetryAfterIsTransientThenTheRetrySucceeds() async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: 503, retryAfter: "1"))
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/contacts", "body": { "id": "{subject}" } }"#)
            let event = sampleEvent()
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(event) }
            #expect(error?.isPermanent == false)
            #expect(error?.retryAfter == .seconds(1))
            #expect(error?.message.contains("503") == true)
            try await sink.deliver(event)
            await sink.shutdown()
            #expect(recorder.requests.count == 2)
            #expect(recorder.requests.map { $0.headers["idempotency-key"] } == [event.id, event.id])
        }
    }

    @Test(arguments: [408, 425, 429, 500, 502]) func retryableStatusesAreTransient(status: Int) async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: status))
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/contacts" }"#)
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == false)
            #expect(error?.retryAfter == nil)
            await sink.shutdown()
        }
    }

    @Test func status400IsPermanentWithTheResponseInTheReason() async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: 400))
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/contacts", "body": { "id": "{subject}" } }"#)
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("answered 400: {\"status\":400}") == true)
            await sink.shutdown()
        }
    }

    @Test func bodyEventSendsTheCloudEventAsIs() async throws {
        try await CRMRecorder.withServer { base, recorder in
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/events", "body": "event" }"#)
            let event = sampleEvent()
            try await sink.deliver(event)
            await sink.shutdown()
            let request = try #require(recorder.requests.first)
            #expect(request.method == "POST")
            #expect(request.body == String(decoding: event.jsonBytes(), as: UTF8.self))
            #expect(try Event.decode(Array(request.body.utf8)) == event)
            #expect(request.headers["content-type"] == "application/cloudevents+json; charset=utf-8")
        }
    }

    @Test func successStatusListIsHonoured() async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: 202), .init(status: 200))
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/x", "successStatus": [202, 204] }"#)
            try await sink.deliver(sampleEvent())
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            await sink.shutdown()
        }
    }

    @Test func timeoutIsTransient() async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: 200, delay: .seconds(2)))
            let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "\#(base)/slow", "timeoutMs": 300 }"#)
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == false)
            await sink.shutdown()
        }
    }

    @Test func connectionRefusedIsTransient() async throws {
        let sink = try Self.sink(#"{ "kind": "crm", "topics": ["t"], "url": "http://127.0.0.1:1/contacts", "timeoutMs": 1000 }"#)
        let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
        #expect(error?.isPermanent == false)
        await sink.shutdown()
    }

    @Test func aMissingSecretFailsAtStartNamingTheReference() throws {
        let error = #expect(throws: SinkError.self) {
            try Self.sink(
                #"{ "kind": "crm", "topics": ["t"], "url": "http://x/y", "headers": { "Authorization": "Bearer {env:CRM_TOKEN}" } }"#,
                environment: [:]
            )
        }
        #expect(error?.message == "$.sinks.crm.headers.Authorization: environment variable CRM_TOKEN is not set (env:CRM_TOKEN)")
    }
}
