import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayRuntime
import HookwayTesting
import Logging
import Testing

/// Issue #28 item 10 (confirmed): reconcile held every page (up to 200 × 4 MiB) before
/// publishing anything. Now each batch is published as its pages are read: a run that fails on
/// its third page has already published what the first two recovered.
@Suite(.timeLimit(.minutes(2)))
struct ReconcilePagingTests {
    /// Two pages of one funding each, then a permanent failure.
    struct TwoPagesThenFailure: ProviderAPI {
        func fetch(_ event: Event) async throws(APIError) -> APIEntity? { nil }
        func list(cursor: String?) async throws(APIError) -> APIPage {
            let page = Int(cursor ?? "0") ?? 0
            if page == 2 { throw APIError(code: .apiRejected, "page 3 refused", retriable: false) }
            return APIPage(entities: [APIEntity(kind: "funding", id: "p\(page)", raw: .null)], next: "\(page + 1)")
        }
        func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event? {
            Event(
                id: "paging:\(entity.id)",
                data: EventData(
                    provider: "bitso",
                    source: source.name,
                    event: "funding.complete",
                    entity: EntityRef(kind: "funding", id: entity.id),
                    payload: .null
                ),
                authMethod: .api,
                receivedAt: now
            )
        }
        func shutdown() async {}
    }

    @Test func pagesArePublishedAsTheyAreReadNotAllAtTheEnd() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = try await broker.createTestTopic(partitions: 1)
        let text = """
            {"version": 1, "kafka": {"topics": {"partitions": 1}},
             "sources": {"bitso": {"provider": "bitso", "token": "env:W"}},
             "routes": [{"name": "all", "match": {}, "to": ["\(prefix).{source}.{event}"]}]}
            """
        let routes = try #require(RoutesConfigLoader.parse(Array(text.utf8), environment: ["W": "t"]).config)
        let source = try #require(routes.sources["bitso"])
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: Logger(label: "test.reconcile"))
        let reconciler = Reconciler(
            source: source,
            api: TwoPagesThenFailure(),
            routes: routes,
            brokers: broker.bootstrapServers,
            producer: producer,
            logger: Logger(label: "test.reconcile"),
            batchLimit: 1
        )
        await #expect(throws: ReconcileError.self) { _ = try await reconciler.run(since: .now()) }
        let ids = try await ReconcileCommandTests.ids(on: "\(prefix).bitso.funding.complete", broker: broker).map(\.id).sorted()
        #expect(ids == ["paging:p0", "paging:p1"])
        await producer.shutdown(timeout: .seconds(5))
    }
}
