public import HookwayCore
public import HookwayProviders

/// What `hookway reconcile` prints: one summary line, then one line per recovered event.
public enum ReconcileReportText {
    public static func render(_ report: Reconciler.Report) -> String {
        let verb = report.dryRun ? "would publish" : "published"
        var lines = [
            "reconcile \(report.source): \(report.listed) entities since \(report.from.rfc3339); "
                + "\(report.alreadyInKafka) already in Kafka, \(report.unmappable) without a webhook event, "
                + "\(verb) \(report.recovered.count)"
        ]
        for (event, topics) in report.recovered {
            lines.append("  \(verb) \(event.id) (\(event.type)) → \(topics.joined(separator: ", "))")
        }
        if let watermark = report.newWatermark { lines.append("watermark \(watermark.rfc3339)") }
        return lines.joined(separator: "\n")
    }
}

extension ReconcileReportText {
    /// What `hookway reconcile --replay` prints: one summary line, then one line per ask.
    public static func renderReplay(source: String, from: Timestamp, to: Timestamp, requests: [ReplayRequest], dryRun: Bool) -> String {
        let matching = requests.compactMap(\.matching).reduce(0, +)
        let scheduled = requests.compactMap(\.scheduled).reduce(0, +)
        let tail = dryRun ? "would ask to resend \(matching)" : "asked to resend \(matching), provider scheduled \(scheduled)"
        var lines = ["replay \(source): \(from.rfc3339) … \(to.rfc3339): \(requests.count) requests, \(tail)"]
        for request in requests {
            var line = "  \(request.what):"
            if let skipped = request.skipped {
                line += " skipped (\(skipped))"
            } else if dryRun {
                line += " would resend \(request.matching.map(String.init) ?? "an unknown number")"
            } else {
                line += " \(request.matching.map(String.init) ?? "?") undelivered, scheduled \(request.scheduled.map(String.init) ?? "?")"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
