public import NIOHTTP1
public import Tracing

/// Reads W3C Trace Context (and any other propagated field) from HTTP request headers.
public struct HTTPHeadersExtractor: Extractor {
    public init() {}
    public func extract(key: String, from carrier: HTTPHeaders) -> String? {
        carrier.first(name: key)
    }
}

/// Writes the current span's context into an outgoing HTTP request's headers (replacing any
/// value of the same name, so a retried request never carries two).
public struct HTTPHeadersInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}

/// Propagated fields as a dictionary: how an event's ``HookwayCore/TraceContext`` is taken
/// from a span and given back to one.
struct DictionaryCarrier: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
