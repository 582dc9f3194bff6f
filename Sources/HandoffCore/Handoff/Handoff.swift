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
    /// The expected wait, as last told (kept current while the handoff waits).
    public var waitEstimate: WaitEstimate?
    /// When it was still waiting past its queue's target time (and was re-prioritised or overflowed).
    public var targetMissedAt: Timestamp?

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

    public init(messageID: String, role: Role, text: String, time: Timestamp) {
        self.messageID = messageID
        self.role = role
        self.text = text
        self.time = time
    }
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

    /// "extractive" (quotations only) or "llm" (written by a model, checked by ``FactGuard``).
    public var source: String
    public var goal: String
    public var issue: String
    public var botAnswers: [BotAnswer]
    public var escalationReason: String
    public var sentiment: Sentiment
    public var keyFacts: [KeyFact]
    public var language: String
    /// What only a model-written summary has.
    public var assisted: Assisted?
    /// Facts a model proposed, and how many of them the fact guard dropped (nil when no model was asked).
    public var factsProposed: Int?
    public var factsDropped: Int?
    /// Why a model's summary was not used, when one was asked for and this one is extractive.
    public var fallbackReason: String?

    /// The parts of a model-written summary beyond the extractive one.
    public struct Assisted: Sendable, Equatable {
        public struct Attempt: Sendable, Equatable {
            public var messageID: String
            public var what: String
            public init(messageID: String, what: String) {
                self.messageID = messageID
                self.what = what
            }
        }
        /// What the bot already tried, each citing its message.
        public var botTried: [Attempt]
        public var openQuestions: [String]
        /// A first reply for the agent to edit and send, in the customer's language (copilot mode).
        public var suggestedReply: String
        /// The language goal, issue and questions are written in: the agents'.
        public var agentLanguage: String
        /// The last message the model saw: later messages are in the transcript only.
        public var coversThrough: String
        public init(botTried: [Attempt], openQuestions: [String], suggestedReply: String, agentLanguage: String, coversThrough: String) {
            self.botTried = botTried
            self.openQuestions = openQuestions
            self.suggestedReply = suggestedReply
            self.agentLanguage = agentLanguage
            self.coversThrough = coversThrough
        }
    }
}
