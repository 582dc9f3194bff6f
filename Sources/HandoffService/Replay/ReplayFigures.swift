import HandoffCore

/// What a support lead reads after a replay: escalation and deflection rates, reasons, time to
/// escalation, offers, categories and CSAT — computed from the replayed events and outputs.
public struct ReplayFigures: Sendable, Equatable {
    public var conversationsStarted = 0
    public var conversationsEnded = 0
    public var endedResolved = 0
    /// Conversations with at least one handoff.
    public var conversationsEscalated = 0
    public var handoffsCreated = 0
    /// Ended resolved without any handoff.
    public var deflected = 0
    public var reasons: [String: Int] = [:]
    public var categories: [String: Int] = [:]
    public var queues: [String: Int] = [:]
    public var offersMade = 0
    public var offerAnswers: [String: Int] = [:]
    /// Seconds from the first escalation signal to the handoff, one per handoff.
    public var secondsFromFirstSignal: [Double] = []
    /// Seconds from the conversation's start to the handoff, one per handoff with a known start.
    public var secondsFromStart: [Double] = []
    public var csatBotOnly: [Int] = []
    public var csatWithHuman: [Int] = []
    public var deadLetters = 0
    public var unknownTypes = 0
    /// Conversations started by a customer who had started one within the repeat-contact window.
    public var repeatContacts = 0

    public init() {}

    /// Repeat contacts ÷ conversations started.
    public var repeatContactRate: Double { ratio(repeatContacts, conversationsStarted) }

    /// Handed-off conversations ÷ conversations seen.
    public var escalationRate: Double { ratio(conversationsEscalated, max(conversationsStarted, conversationsSeen)) }
    /// Ended resolved without a handoff ÷ ended.
    public var deflectionRate: Double { ratio(deflected, conversationsEnded) }
    var conversationsSeen = 0

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    static func median(_ values: [Double]) -> Double? { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func mean(_ values: [Int]) -> Double? {
        values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count)
    }
}

/// Feeds ``ReplayFigures`` from each processed record.
struct ReplayFigureCollector {
    private(set) var figures = ReplayFigures()
    var repeats: RepeatContacts
    private var seen = Set<String>()
    private var escalated = Set<String>()
    private var calledBack = Set<String>()
    private var started: [String: Timestamp] = [:]

    init(repeats: RepeatContacts) {
        self.repeats = repeats
    }

    mutating func record(_ result: Engine.Result) {
        if result.isRedelivery { return }
        if result.unknownType != nil { figures.unknownTypes += 1 }
        if let event = result.event {
            let conversation = event.conversationID
            if seen.insert(conversation).inserted { figures.conversationsSeen += 1 }
            switch event.payload {
            case .started(let start):
                figures.conversationsStarted += 1
                started[conversation] = event.time
                if repeats.started(customer: start.customerID, conversation: conversation, at: event.time) { figures.repeatContacts += 1 }
            case .ended(let resolved, let csat):
                figures.conversationsEnded += 1
                if resolved { figures.endedResolved += 1 }
                let person = escalated.contains(conversation) || calledBack.contains(conversation)
                if resolved && !person { figures.deflected += 1 }
                if let csat {
                    if person { figures.csatWithHuman.append(csat) } else { figures.csatBotOnly.append(csat) }
                }
            case .offerAnswered(_, let answer):
                figures.offerAnswers[answer.rawValue, default: 0] += 1
            default:
                break
            }
        }
        for output in result.outputs {
            switch output.type {
            case EventType.deadLetter:
                figures.deadLetters += 1
            case EventType.escalationOffered:
                figures.offersMade += 1
            case EventType.callbackScheduled:
                // A person handles a conversation that gets a callback: not deflected, its CSAT is theirs.
                if let conversation = output.data["conversation_id"]?.stringValue { calledBack.insert(conversation) }
            case EventType.handoffCreated:
                let data = output.data
                let conversation = data["conversation_id"]?.stringValue ?? ""
                figures.handoffsCreated += 1
                if escalated.insert(conversation).inserted { figures.conversationsEscalated += 1 }
                for reason in data["reasons"]?.arrayValue ?? [] { figures.reasons[reason["code"]?.stringValue ?? "?", default: 0] += 1 }
                figures.categories[data["category"]?.stringValue ?? "?", default: 0] += 1
                figures.queues[data["queue"]?.stringValue ?? "?", default: 0] += 1
                if let created = data["created_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) {
                    if let detected = data["detected_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) {
                        figures.secondsFromFirstSignal.append(Double(created.milliseconds(since: detected)) / 1000)
                    }
                    if let start = started[conversation] {
                        figures.secondsFromStart.append(Double(created.milliseconds(since: start)) / 1000)
                    }
                }
            default:
                break
            }
        }
    }
}
