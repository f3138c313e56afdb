import ArgumentParser
import HookwayCore
import HookwaySinks
import Logging

/// `--index NAME`: which `index` sink `trace` and `events` read (default: the only one).
struct IndexOption: ParsableArguments {
    @Option(name: .customLong("index"), help: "The index sink to read (default: the only one).") var name: String?

    /// How long a command waits for the index's database.
    static var timeout: Duration { .seconds(10) }

    /// Opens the chosen index sink's store read-only, runs `body` with it (the store's client
    /// in this command's scope), and closes it. Exits 1 with one line when there is no index
    /// or it cannot be read.
    func withStore<T: Sendable>(
        _ routes: RoutesConfig,
        path: String,
        command: String,
        _ body: @escaping @Sendable (any IndexStore) async throws -> T
    ) async throws -> T {
        let config = try chooseSink(.index, named: name, in: routes) { problem in
            switch problem {
            case .unknown(let name, let indexes):
                "hookway \(command): no index sink named \"\(name)\" in \(path); index sinks: \(indexes.isEmpty ? "none" : indexes.joined(separator: ", "))"
            case .none:
                "hookway \(command): no index sink in \(path); add one (\"kind\": \"index\") to record events and outcomes"
            case .several(let indexes):
                "hookway \(command): several index sinks; choose one with --index (\(indexes.joined(separator: ", ")))"
            }
        }
        let chosen = config.name
        let sink: IndexSink
        do {
            sink = try IndexSink.make(
                config,
                outcomeTopic: routes.kafka.outcomeTopic,
                logger: Logger(label: "hookway.index", factory: { _ in SwiftLogNoOpLogHandler() }),
                readOnly: true
            )
        } catch {
            let failure = describe(error)
            printError("hookway \(command): cannot open the index of sink \"\(chosen)\": \(failure.message) [\(failure.code)]")
            throw ExitCode(1)
        }
        let store = sink.store
        let result = await withTaskGroup(of: Result<T, any Error>?.self) { group -> Result<T, any Error> in
            group.addTask {
                await store.run()
                return nil
            }
            group.addTask {
                do {
                    return .success(try await body(store))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // A database that does not answer (PostgreSQL's client retries its connection for good).
                try? await Task.sleep(for: Self.timeout)
                return .failure(IndexStoreError("no answer within \(Self.timeout)"))
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let next { return next }
            }
            return .failure(IndexStoreError("the index's client ended"))
        }
        await store.close()
        switch result {
        case .success(let value):
            return value
        case .failure(let error as ExitCode):
            throw error
        case .failure(let error):
            let failure = describe(error)
            printError("hookway \(command): cannot read the index of sink \"\(chosen)\": \(failure.message) [\(failure.code)]")
            throw ExitCode(1)
        }
    }
}

/// `--type GLOB`, or one line and exit 1 naming what is wrong with the pattern.
func parseGlob(_ text: String, command: String) throws -> Glob {
    if let problem = Glob.problem(in: text) {
        printError("hookway \(command): --type \"\(text)\": \(problem)")
        throw ExitCode(1)
    }
    return Glob(text)
}

/// `--where COND` in the routes language, or one line and exit 1 when it does not parse.
func parseConditions(_ text: String, command: String) throws -> [Condition] {
    let parsed = Condition.parse(text)
    guard parsed.problems.isEmpty else {
        printError("hookway \(command): --where does not parse: \(parsed.problems.joined(separator: "; "))")
        throw ExitCode(1)
    }
    return parsed.conditions
}

/// `--since` / `--until`: an RFC 3339 time, or a duration back from now (`30m`, `6h`, `7d`).
func parseTime(_ text: String, option: String, command: String) throws -> Timestamp {
    guard let time = Reconcile.parseSince(text, now: .now()) else {
        printError("hookway \(command): --\(option) \"\(text)\" is neither an RFC 3339 time nor a duration like 30m, 6h or 7d")
        throw ExitCode(1)
    }
    return time
}
