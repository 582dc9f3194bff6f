import Foundation
@testable import HandoffCore

/// Builds a conversation's events with increasing ids and times, and runs them through a machine.
struct ConversationScript {
    let conversationID: String
    var policy = EscalationPolicy()
    var machine: ConversationMachine
    var time = Timestamp(rfc3339: "2026-11-26T09:00:00Z")!
    var sequence = 0
    /// Every output so far, in order.
    var outputs: [OutputEvent] = []
    var ignored: [String] = []

    init(_ conversationID: String = "conv-1", policy: EscalationPolicy = EscalationPolicy(), locale: String = "en-US", tier: String? = nil) {
        self.conversationID = conversationID
        self.policy = policy
        machine = ConversationMachine(conversationID: conversationID)
        send(.started(.init(customerID: "cust-1", channel: "web", locale: locale, customerTier: tier)))
    }

    @discardableResult
    mutating func send(_ payload: ConversationEvent.Payload, id: String? = nil) -> [OutputEvent] {
        sequence += 1
        time = time.adding(milliseconds: 15_000)
        let event = ConversationEvent(id: id ?? "evt-\(sequence)", source: "test", time: time, conversationID: conversationID, payload: payload)
        var emitted: [OutputEvent] = []
        for action in machine.handle(event, policy: policy, now: time) {
            switch action {
            case .emit(let output): emitted.append(output)
            case .ignored(let reason): ignored.append(reason)
            case .redelivered: ignored.append("re-delivery")
            }
        }
        outputs += emitted
        return emitted
    }

    @discardableResult
    mutating func customer(_ text: String) -> [OutputEvent] {
        send(.customerMessage(messageID: "m\(sequence + 1)", text: text))
    }

    /// A bot reply; grounded with good confidence unless told otherwise. Returns its message id via `lastBotMessage`.
    @discardableResult
    mutating func bot(_ text: String, sources: [String] = ["kb-1"], confidence: Double? = 0.9) -> [OutputEvent] {
        send(.botMessage(.init(messageID: "m\(sequence + 1)", text: text, sources: sources, confidence: confidence)))
    }

    var lastBotMessage: String { machine.state.replies.last!.messageID }

    @discardableResult
    mutating func feedback(helpful: Bool) -> [OutputEvent] {
        send(.feedback(messageID: lastBotMessage, helpful: helpful))
    }

    func outputs(ofType type: String) -> [OutputEvent] { outputs.filter { $0.type == type } }

    var handoffs: [OutputEvent] { outputs(ofType: EventType.handoffCreated) }

    /// The reason codes of the first handoff.
    var reasonCodes: [EscalationReason.Code] { machine.state.handoff?.reasons.map(\.code) ?? [] }
}

/// The example conversations of protocols/examples, line by line, file by file in name order.
enum ExampleLines {
    static func all() throws -> [(file: String, line: Substring)] {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("protocols/examples")
        var lines: [(file: String, line: Substring)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where file.hasSuffix(".jsonl") {
            let content = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            lines += content.split(separator: "\n").map { (file, $0) }
        }
        return lines
    }
}
