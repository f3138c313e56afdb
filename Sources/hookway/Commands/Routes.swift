import ArgumentParser
import Foundation
import HookwayCore
import HookwayRuntime

/// `hookway routes …`.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the routes file.", subcommands: [Check.self])

    /// `hookway routes check`: validate, or explain where an event would go.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate routes.json: exit 0 and a summary when valid, exit 1 and one line per problem when not."
        )

        @OptionGroup var config: ConfigOption
        @Option(help: "A CloudEvent JSON file: print which routes match it and its topics.") var explain: String?
        @Option(help: "With --type: the source name of a hypothetical event to explain.") var source: String?
        @Option(help: "With --source: the CloudEvent type of a hypothetical event to explain.") var type: String?

        func run() async throws {
            let path = config.path
            let result = RoutesConfigLoader.load(path: path)
            let name = (path as NSString).lastPathComponent
            guard let routes = result.config else {
                for problem in result.problems { print("\(name): \(problem)") }
                throw ExitCode(1)
            }
            for warning in result.warnings { print("\(name): \(warning)") }
            if let explain {
                guard let data = FileManager.default.contents(atPath: explain) else {
                    printError("cannot read \(explain)")
                    throw ExitCode(1)
                }
                let event: Event
                do {
                    event = try Event.decode(Array(data))
                } catch {
                    printError("\(explain): \(error)")
                    throw ExitCode(1)
                }
                explainEvent(event, routes)
                return
            }
            if source != nil || type != nil {
                guard let source, let type else {
                    printError("--source and --type go together")
                    throw ExitCode(1)
                }
                let provider = routes.sources[source]?.provider ?? type.split(separator: ".").first.map(String.init) ?? source
                let eventName = type.hasPrefix(provider + ".") ? String(type.dropFirst(provider.count + 1)) : type
                let event = Event(
                    id: "explain",
                    data: EventData(provider: provider, source: source, event: eventName, payload: .object([])),
                    authMethod: .none,
                    receivedAt: .now()
                )
                explainEvent(event, routes)
                return
            }
            let warnings = result.warnings.isEmpty ? "" : " (\(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s"))"
            print("\(name): \(routes.summary) — ok\(warnings)")
        }

        func explainEvent(_ event: Event, _ routes: RoutesConfig) {
            let table = routes.routeTable
            let matching = table.matchingRoutes(for: event)
            print("event \(event.type) from source \(event.data.source)")
            if matching.isEmpty {
                print("  no route matches: unrouted topic \(table.unroutedTopic)")
            }
            for route in matching {
                print("  route \(route.name) → \(route.topics.map { $0.render(for: event) }.joined(separator: ", "))")
            }
            print("topics: \(table.topics(for: event).joined(separator: ", "))")
        }
    }
}
