/// A handoff as agent desktops see it: every `support.handoff.created`/`updated` carries all of it.
public struct Handoff: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case waiting, accepted, requeued, completed, abandoned

        /// Still in the queue or with an agent: the conversation belongs to a person.
        public var isOpen: Bool { self == .waiting || self == .accepted || self == .requeued }
    }

    public var id: String
    public var revision: Int
    public var conversationID: String
    public var customerID: String
    public var customerTier: String?
    public var status: Status
    public var queue: String
    public var category: Category
    public var language: String
    public var priority: Int
    public var reasons: [EscalationReason]
    public var summary: Summary
    public var transcript: [TranscriptEntry]
    public var agentID: String?
    public var detectedAt: Timestamp
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var policyVersion: String
    public var triggerEventID: String

    /// The id of a handoff: a function of the conversation and the event that triggered it, so a
    /// re-emission after a crash carries the same id even when no state survived.
    public static func id(conversationID: String, triggerEventID: String) -> String {
        "ho_" + SHA256.hex(Array((conversationID + "\n" + triggerEventID).utf8)).prefix(24)
    }
}

/// One reason a conversation was handed over, with the evidence for it.
public struct EscalationReason: Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case explicitRequest = "explicit_request"
        case sensitiveTopic = "sensitive_topic"
        case repeatedFailures = "repeated_failures"
        case frustration
        case deadEnd = "dead_end"
        case beyondDocumentation = "beyond_documentation"
        case lowConfidence = "low_confidence"
    }

    public var code: Code
    /// A sentence a support lead can read.
    public var detail: String
    /// The message ids that show it.
    public var evidence: [String]
    /// The signal values at decision time.
    public var signals: [String: Double]

    public init(code: Code, detail: String, evidence: [String], signals: [String: Double] = [:]) {
        self.code = code
        self.detail = detail
        self.evidence = evidence
        self.signals = signals
    }
}

/// One message of the transcript a handoff carries.
public struct TranscriptEntry: Sendable, Equatable {
    public enum Role: String, Sendable { case customer, bot, agent, system }
    public var messageID: String
    public var role: Role
    public var text: String
    public var time: Timestamp
}

/// The structured summary the agent reads instead of asking the customer again.
public struct Summary: Sendable, Equatable {
    public enum Sentiment: String, Sendable { case positive, neutral, negative, angry }

    public struct BotAnswer: Sendable, Equatable {
        public var messageID: String
        public var text: String
    }

    public struct KeyFact: Sendable, Equatable, Hashable {
        public enum Kind: String, Sendable {
            case orderNumber = "order_number"
            case invoiceNumber = "invoice_number"
            case amount, date, email, phone, product
            case errorCode = "error_code"
            case trackingNumber = "tracking_number"
            case other
        }
        public var kind: Kind
        /// Exactly as the customer wrote it.
        public var value: String
        public var messageID: String
    }

    public var source: String
    public var goal: String
    public var issue: String
    public var botAnswers: [BotAnswer]
    public var escalationReason: String
    public var sentiment: Sentiment
    public var keyFacts: [KeyFact]
    public var language: String
}
