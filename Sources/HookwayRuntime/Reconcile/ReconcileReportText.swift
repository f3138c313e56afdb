import HookwayCore

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
