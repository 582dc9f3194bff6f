import HandoffCore

/// Human-readable reports of what the broker decided.
public enum ReportFormatter {
    public static func replaySummary(_ report: Replayer.Report, policyVersion: String) -> String {
        var lines: [String] = []
        let counters = report.counters
        let events = counters.eventsByType.values.reduce(0, +)
        let deadLetters = counters.deadLetters.values.reduce(0, +)
        let unknown = counters.unknownTypes.values.reduce(0, +)
        lines.append("replay: \(counters.records) records, \(events) events, \(deadLetters) dead letters, \(unknown) of unknown type; policy \(policyVersion)")
        let started = counters.eventsByType[EventType.conversationStarted] ?? 0
        let created = counters.outputsByType[EventType.handoffCreated] ?? 0
        let offers = counters.outputsByType[EventType.escalationOffered] ?? 0
        lines.append("handoffs: \(created) created from \(started) conversations started; \(offers) offers made")
        for handoff in report.handoffs {
            lines.append(handoffLine(handoff))
        }
        for (code, count) in counters.deadLetters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            lines.append("dead letters \(code.rawValue): \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func handoffLine(_ handoff: HandoffOverview) -> String {
        var text = "  \(handoff.conversationID) → queue \(handoff.queue), \(handoff.category), priority \(handoff.priority), \(handoff.status)"
        for reason in handoff.reasons {
            text += "\n      \(reason.code): \(reason.detail)"
            if !reason.evidence.isEmpty { text += " [evidence: \(reason.evidence.joined(separator: ", "))]" }
        }
        if !handoff.goal.isEmpty { text += "\n      goal: \(handoff.goal)" }
        if !handoff.keyFacts.isEmpty { text += "\n      key facts: \(handoff.keyFacts.joined(separator: ", "))" }
        return text
    }
}
