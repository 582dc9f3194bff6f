public import HandoffCore

/// Human- and machine-readable reports of what the broker decided in a replay.
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
        lines.append("")
        for (label, value) in rows(report.figures) {
            lines.append("\(label.padding(toLength: 40, withPad: " ", startingAt: 0)) \(value)")
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

    // MARK: - Figures

    /// The figures as (label, value) rows, in reading order.
    public static func rows(_ figures: ReplayFigures) -> [(String, String)] {
        var rows: [(String, String)] = [
            ("conversations", "\(max(figures.conversationsStarted, figures.conversationsSeen))"),
            ("escalation rate", "\(figures.conversationsEscalated) escalated (\(percent(figures.escalationRate)))"),
            ("handoffs created", "\(figures.handoffsCreated)"),
            ("deflection rate", "\(figures.deflected) of \(figures.conversationsEnded) ended resolved by the bot alone (\(percent(figures.deflectionRate)))"),
            ("offers made", "\(figures.offersMade)" + (figures.offerAnswers.isEmpty ? "" : " (answers: \(counts(figures.offerAnswers)))")),
            ("time to escalation, from first signal", seconds(figures.secondsFromFirstSignal)),
            ("time to escalation, from start", seconds(figures.secondsFromStart)),
            ("reasons", counts(figures.reasons)),
            ("categories", counts(figures.categories)),
            ("queues", counts(figures.queues)),
            ("repeat contacts", "\(figures.repeatContacts) (\(percent(figures.repeatContactRate)) of conversations started)"),
            ("CSAT after the bot alone", csat(figures.csatBotOnly)),
            ("CSAT after a person", csat(figures.csatWithHuman)),
        ]
        rows.append(("dead letters / unknown types", "\(figures.deadLetters) / \(figures.unknownTypes)"))
        return rows
    }

    /// Two policies side by side, and the conversations whose outcome differs.
    public static func comparison(_ first: Replayer.Report, _ second: Replayer.Report, names: (String, String)) -> String {
        let left = rows(first.figures)
        let right = rows(second.figures)
        var lines = ["what-if: \(names.0) vs \(names.1)"]
        let width = max(24, left.map { $0.1.count }.max() ?? 0)
        lines.append("".padding(toLength: 40, withPad: " ", startingAt: 0) + " " + names.0.padding(toLength: width, withPad: " ", startingAt: 0) + " | " + names.1)
        for (index, row) in left.enumerated() {
            let other = index < right.count ? right[index].1 : ""
            let marker = row.1 == other ? " " : "*"
            lines.append("\(marker)\(row.0.padding(toLength: 39, withPad: " ", startingAt: 0)) \(row.1.padding(toLength: width, withPad: " ", startingAt: 0)) | \(other)")
        }
        let onlyFirst = Set(first.handoffs.map(\.conversationID)).subtracting(second.handoffs.map(\.conversationID)).sorted()
        let onlySecond = Set(second.handoffs.map(\.conversationID)).subtracting(first.handoffs.map(\.conversationID)).sorted()
        lines.append("handed off only under \(names.0): \(onlyFirst.isEmpty ? "none" : onlyFirst.joined(separator: ", "))")
        lines.append("handed off only under \(names.1): \(onlySecond.isEmpty ? "none" : onlySecond.joined(separator: ", "))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The figures as JSON, for tools.
    public static func json(_ figures: ReplayFigures, policyVersion: String) -> JSONValue {
        func seconds(_ values: [Double]) -> JSONValue {
            .object([
                "count": .number(Double(values.count)),
                "median": ReplayFigures.median(values).map(JSONValue.number) ?? .null,
                "p90": ReplayFigures.percentile(values, 0.9).map(JSONValue.number) ?? .null,
            ])
        }
        func counts(_ map: [String: Int]) -> JSONValue { .object(map.mapValues { .number(Double($0)) }) }
        return .object([
            "policy_version": .string(policyVersion),
            "conversations": .number(Double(max(figures.conversationsStarted, figures.conversationsSeen))),
            "conversations_escalated": .number(Double(figures.conversationsEscalated)),
            "escalation_rate": .number(figures.escalationRate),
            "handoffs_created": .number(Double(figures.handoffsCreated)),
            "conversations_ended": .number(Double(figures.conversationsEnded)),
            "deflected": .number(Double(figures.deflected)),
            "deflection_rate": .number(figures.deflectionRate),
            "offers_made": .number(Double(figures.offersMade)),
            "offer_answers": counts(figures.offerAnswers),
            "seconds_to_escalation_from_first_signal": seconds(figures.secondsFromFirstSignal),
            "seconds_to_escalation_from_start": seconds(figures.secondsFromStart),
            "reasons": counts(figures.reasons),
            "categories": counts(figures.categories),
            "queues": counts(figures.queues),
            "csat_bot_only": ReplayFigures.mean(figures.csatBotOnly).map(JSONValue.number) ?? .null,
            "csat_with_human": ReplayFigures.mean(figures.csatWithHuman).map(JSONValue.number) ?? .null,
            "repeat_contacts": .number(Double(figures.repeatContacts)),
            "repeat_contact_rate": .number(figures.repeatContactRate),
            "dead_letters": .number(Double(figures.deadLetters)),
            "unknown_types": .number(Double(figures.unknownTypes)),
        ])
    }

    // MARK: - Formatting

    static func percent(_ value: Double) -> String {
        let tenths = (value * 1000).rounded() / 10
        return "\(tenths) %"
    }

    static func counts(_ map: [String: Int]) -> String {
        map.isEmpty ? "none" : map.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    static func seconds(_ values: [Double]) -> String {
        guard let median = ReplayFigures.median(values), let p90 = ReplayFigures.percentile(values, 0.9) else { return "no handoffs" }
        return "median \(format(median)) s, p90 \(format(p90)) s (n=\(values.count))"
    }

    static func csat(_ values: [Int]) -> String {
        guard let mean = ReplayFigures.mean(values) else { return "no ratings" }
        return "\(format(mean)) of 5 (n=\(values.count))"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return Int(exactly: rounded).map(String.init) ?? String(rounded)
    }
}

// MARK: - Model summaries (replay --llm)

extension ReportFormatter {
    /// One line per handoff: the summary's source, facts proposed and kept, model latency.
    public static func summaries(_ report: Replayer.Report) -> String {
        guard !report.summaries.isEmpty else { return "" }
        var lines = ["", "Model summaries (\(report.summaries.count)):"]
        var proposed = 0
        var kept = 0
        var models = 0
        for entry in report.summaries {
            let figures = entry.outcome.figures
            proposed += figures.factsProposed
            kept += figures.factsKept
            if entry.outcome.isModelSummary { models += 1 }
            var line = "  \(entry.conversationID)  \(entry.outcome.summary.source)  facts \(figures.factsKept)/\(figures.factsProposed) kept"
            line += "  \(entry.outcome.latency.milliseconds) ms  \(entry.outcome.attempts) answer\(entry.outcome.attempts == 1 ? "" : "s")"
            if let reason = figures.fallbackReason { line += "  (\(reason))" }
            lines.append(line)
        }
        let retention = proposed == 0 ? "n/a" : String(Int((Double(kept) / Double(proposed) * 100).rounded())) + " %"
        lines.append("  model summaries used: \(models) of \(report.summaries.count); fact retention \(kept)/\(proposed) (\(retention))")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func summariesJSON(_ report: Replayer.Report) -> JSONValue {
        .object(["summaries": .array(report.summaries.map { entry in
            var members: [String: JSONValue] = [
                "conversation_id": .string(entry.conversationID),
                "handoff_id": .string(entry.handoffID),
                "source": .string(entry.outcome.summary.source),
                "facts_proposed": .number(Double(entry.outcome.figures.factsProposed)),
                "facts_kept": .number(Double(entry.outcome.figures.factsKept)),
                "sentences_removed": .number(Double(entry.outcome.figures.sentencesRemoved)),
                "latency_ms": .number(Double(entry.outcome.latency.milliseconds)),
                "attempts": .number(Double(entry.outcome.attempts)),
            ]
            members["fallback_reason"] = entry.outcome.figures.fallbackReason.map(JSONValue.string) ?? .null
            return .object(members)
        })])
    }
}

// MARK: - Wait estimates

extension ReportFormatter {
    /// Per queue: how far the wait estimates were from the waits that followed, against the two baselines.
    public static func waits(_ scoreboard: WaitScoreboard) -> String {
        guard !scoreboard.byQueue.isEmpty else { return "" }
        func describe(_ figures: WaitScoreboard.Figures) -> String {
            guard let mae = figures.meanAbsoluteError, let bias = figures.bias else { return "no data" }
            var text = "MAE \(Int(mae.rounded())) s, bias \(bias >= 0 ? "+" : "")\(Int(bias.rounded())) s"
            if let coverage = figures.coverage { text += ", p10–p90 coverage \(Int((coverage * 100).rounded())) %" }
            return text
        }
        var lines = ["", "Wait estimates, scored when agents accepted (actual wait vs. estimate at creation):"]
        for queue in scoreboard.byQueue.keys.sorted() {
            let figures = scoreboard.byQueue[queue]!
            lines.append("  \(queue) (\(figures.ours.count) accepted)")
            lines.append("    handoffd                  \(describe(figures.ours))")
            lines.append("    last-to-enter-service     \(describe(figures.lastToEnterService))")
            lines.append("    queue length × mean ÷ n   \(describe(figures.queueLengthSimple))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func waitsJSON(_ scoreboard: WaitScoreboard) -> JSONValue {
        func describe(_ figures: WaitScoreboard.Figures) -> JSONValue {
            .object([
                "accepted": .number(Double(figures.count)),
                "mae_seconds": figures.meanAbsoluteError.map(JSONValue.number) ?? .null,
                "bias_seconds": figures.bias.map(JSONValue.number) ?? .null,
                "p10_p90_coverage": figures.coverage.map(JSONValue.number) ?? .null,
            ])
        }
        return .object(scoreboard.byQueue.mapValues { figures in
            .object(["handoffd": describe(figures.ours), "last_to_enter_service": describe(figures.lastToEnterService),
                     "queue_length_simple": describe(figures.queueLengthSimple)])
        })
    }
}
