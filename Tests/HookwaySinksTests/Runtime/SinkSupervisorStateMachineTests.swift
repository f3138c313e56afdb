import HookwayCore
import Testing

@testable import HookwaySinks

/// The supervisor's decisions, event by event, without a broker.
struct SinkSupervisorStateMachineTests {
    static func routes(_ sinks: [String: String]) throws -> RoutesConfig {
        var config = try #require(RoutesConfigLoader.parse(Array(#"{"version":1,"sources":{},"routes":[]}"#.utf8)).config)
        for (name, url) in sinks {
            let options = try JSONParser.parse(Array(#"{"kind":"crm","topics":["t"],"url":"\#(url)"}"#.utf8))
            config.sinks[name] = SinkConfig(name: name, kind: .crm, topics: ["t"], options: options)
        }
        config.sinkNames = sinks.keys.sorted()
        return config
    }

    @Test func applyStartsNewSinksRestartsChangedOnesAndStopsRemovedOnes() throws {
        var machine = SinkSupervisorStateMachine(routes: try Self.routes([:]))
        let first = machine.apply(try Self.routes(["crm": "http://a", "mail": "http://m"]), only: [])
        #expect(first.start.map(\.config.name).sorted() == ["crm", "mail"])
        #expect(machine.runningSinks == ["crm", "mail"])
        let crmSlot = try #require(first.start.first { $0.config.name == "crm" }).id

        // Unchanged: nothing happens.
        let same = machine.apply(try Self.routes(["crm": "http://a", "mail": "http://m"]), only: [])
        #expect(same.start.isEmpty && same.stopped.isEmpty)

        // crm's settings changed, mail was removed.
        let next = machine.apply(try Self.routes(["crm": "http://b"]), only: [])
        #expect(next.stopped.sorted() == ["crm", "mail"])
        #expect(next.start.map(\.config.name) == ["crm"])
        #expect(next.start.first?.id != crmSlot, "a changed sink runs in a new slot")
        #expect(machine.isStopped(crmSlot))
        #expect(machine.runningSinks == ["crm"])
        #expect(machine.routes.sinks["crm"]?.options == next.start.first?.config.options, "new runs take the file in force")
    }

    @Test func onlyRunsTheNamedSinks() throws {
        var machine = SinkSupervisorStateMachine(routes: try Self.routes([:]))
        let changes = machine.apply(try Self.routes(["crm": "http://a", "mail": "http://m"]), only: ["mail"])
        #expect(changes.start.map(\.config.name) == ["mail"])
    }

    @Test func aFailedRunIsDownSinceItsFirstFailureUntilARunnerIsInstalled() throws {
        var machine = SinkSupervisorStateMachine(routes: try Self.routes([:]))
        let id = try #require(machine.apply(try Self.routes(["crm": "http://a"]), only: []).start.first).id
        let t0 = ContinuousClock.now
        machine.runFailed(id, error: "consumer failed", now: t0)
        machine.runFailed(id, error: "consumer failed again", now: t0 + .seconds(5))
        let down = try #require(machine.health(now: t0 + .seconds(10)).first)
        #expect(down.downFor == .seconds(10))
        #expect(down.lastError == "consumer failed again")
        #expect(down.restarts == 2)
        // A stopped slot refuses a runner made after the stop, and is forgotten when it ends.
        _ = machine.stopAll()
        #expect(machine.isStopped(id))
        #expect(machine.health(now: .now).isEmpty)
        machine.ended(id)
        #expect(machine.isStopped(id))
    }
}
