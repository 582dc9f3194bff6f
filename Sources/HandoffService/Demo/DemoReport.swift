import HandoffCore
import Kafka

/// Renders what the demo's output topics carried as a support lead would want to read it.
enum DemoReport {
    struct Output {
        var type: String
        var subject: String
        var data: JSONValue
        var topic: String
    }

    static func render(outputs: [KafkaMessage], conversations: Set<String>, published: Int, statistics: HandoffPipeline.Statistics, brokers: String) -> String {
        let parsed: [Output] = outputs.compactMap { message in
            guard let json = try? JSONParser.parse(message.value), case .string(let type)? = json["type"], let data = json["data"] else { return nil }
            let subject: String = if case .string(let subject)? = json["subject"] { subject } else { "" }
            return Output(type: type, subject: subject, data: data, topic: message.topic)
        }
        var lines: [String] = []
        lines.append("handoffd demo — embedded Kafka (librdkafka \(librdkafkaVersion) mock cluster at \(brokers))")
        lines.append("published \(published) records from \(conversations.count) conversations; handoffd processed \(statistics.records), emitted \(statistics.outputs) events")
        lines.append("")

        let created = parsed.filter { $0.type == EventType.handoffCreated }
        let handedOff = Set(created.map(\.subject))
        lines.append("HANDED OFF TO A PERSON (\(handedOff.count) of \(conversations.count) conversations)")
        for output in created.sorted(by: { $0.subject < $1.subject }) {
            let data = output.data
            lines.append("▸ \(output.subject) → queue \"\(text(data["queue"]))\" · \(text(data["category"])) · priority \(text(data["priority"])) · language \(text(data["language"]))")
            if case .array(let reasons)? = data["reasons"] {
                for reason in reasons {
                    var line = "    why: \(text(reason["code"])) — \(text(reason["detail"]))"
                    if case .array(let evidence)? = reason["evidence"], !evidence.isEmpty { line += " [evidence: \(evidence.map(text).joined(separator: ", "))]" }
                    lines.append(line)
                }
            }
            if let summary = data["summary"] {
                lines.append("    goal: \(text(summary["goal"]))")
                if text(summary["issue"]) != text(summary["goal"]) { lines.append("    issue: \(text(summary["issue"]))") }
                lines.append("    sentiment: \(text(summary["sentiment"]))")
                if case .array(let facts)? = summary["key_facts"], !facts.isEmpty {
                    lines.append("    key facts: " + facts.map { "\(text($0["kind"])) \(text($0["value"]))" }.joined(separator: ", "))
                }
            }
            if let announced = parsed.first(where: { $0.type == EventType.handoffAnnounced && $0.subject == output.subject }) {
                lines.append("    customer is told: \"\(text(announced.data["text"]))\"")
            }
            let updates = parsed.filter { $0.type == EventType.handoffUpdated && $0.subject == output.subject }
            if !updates.isEmpty {
                let steps = updates.map { update -> String in
                    let agent = text(update.data["agent_id"])
                    return "r\(text(update.data["revision"])) \(text(update.data["status"]))" + (agent.isEmpty ? "" : " (\(agent))")
                }
                let resumed = parsed.contains { $0.type == EventType.botResumed && $0.subject == output.subject }
                lines.append("    then: " + steps.joined(separator: " → ") + (resumed ? " → bot resumed" : ""))
            }
        }
        lines.append("")
        let offers = parsed.filter { $0.type == EventType.escalationOffered }
        lines.append("OFFERED A PERSON OR A CALLBACK (\(offers.count))")
        for offer in offers.sorted(by: { $0.subject < $1.subject }) {
            let outcome = handedOff.contains(offer.subject) ? "later handed off" : "stayed with the bot"
            lines.append("▸ \(offer.subject): \"\(text(offer.data["text"]))\" — \(outcome)")
        }
        lines.append("")
        let stayed = conversations.subtracting(handedOff).sorted()
        lines.append("STAYED WITH THE BOT (\(stayed.count)): " + stayed.joined(separator: ", "))
        lines.append("")
        let deadLetters = parsed.filter { $0.type == EventType.deadLetter }
        lines.append("DEAD LETTERS (\(deadLetters.count))")
        for letter in deadLetters {
            lines.append("▸ \(text(letter.data["source_topic"]))[\(text(letter.data["partition"]))]@\(text(letter.data["offset"])): \(text(letter.data["reason_code"])) — \(text(letter.data["reason"]))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let string)?: string
        case .number(let number)?: Int(exactly: number).map(String.init) ?? String(number)
        case .bool(let flag)?: String(flag)
        case nil, .null?: ""
        case let other?: JSONWriter.string(other)
        }
    }
}
