/// One entry of `routes`: which events (`match`) go to which topics (`to`).
public struct Route: Sendable, Hashable {
    public var name: String
    /// Globs on the configured source name; empty matches any.
    public var sourcePatterns: [Glob]
    /// Globs on the CloudEvent `type`; empty matches any.
    public var typePatterns: [Glob]
    public var conditions: [Condition]
    public var topics: [TopicTemplate]

    public init(name: String, sourcePatterns: [Glob] = [], typePatterns: [Glob] = [], conditions: [Condition] = [], topics: [TopicTemplate]) {
        self.name = name
        self.sourcePatterns = sourcePatterns
        self.typePatterns = typePatterns
        self.conditions = conditions
        self.topics = topics
    }

    /// True when every part of `match` holds for the event.
    public func matches(_ event: Event) -> Bool {
        if !sourcePatterns.isEmpty, !sourcePatterns.contains(where: { $0.matches(event.data.source) }) { return false }
        if !typePatterns.isEmpty, !typePatterns.contains(where: { $0.matches(event.type) }) { return false }
        return conditions.allSatisfy { $0.isSatisfied(by: event) }
    }
}

/// The routes of a config, compiled: decides the distinct topics of an event.
public struct RouteTable: Sendable {
    public let routes: [Route]
    public let unroutedTopic: String
    /// Topics the routes file names outright (no template) plus the unrouted topic: the
    /// operator chose them, so no topic cap applies to them.
    public let literalTopics: Set<String>

    public init(routes: [Route], unroutedTopic: String) {
        self.routes = routes
        self.unroutedTopic = unroutedTopic
        var literal: Set<String> = [unroutedTopic]
        for route in routes {
            for template in route.topics where template.isLiteral { literal.insert(template.text) }
        }
        self.literalTopics = literal
    }

    /// The routes that match, in file order.
    public func matchingRoutes(for event: Event) -> [Route] { routes.filter { $0.matches(event) } }

    /// Every distinct topic of every matching route, in first-seen order; the unrouted topic
    /// when none matches, so an event never goes nowhere.
    public func topics(for event: Event) -> [String] {
        var out: [String] = []
        for route in routes where route.matches(event) {
            for template in route.topics {
                let topic = template.render(for: event)
                if !out.contains(topic) { out.append(topic) }
            }
        }
        return out.isEmpty ? [unroutedTopic] : out
    }
}
