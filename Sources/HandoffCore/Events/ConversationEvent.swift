/// One event of a conversation, decoded and validated: what the state machine consumes.
public struct ConversationEvent: Sendable, Equatable {
    /// The CloudEvents `id` of the input (with `source`, it identifies the event).
    public var id: String
    public var source: String
    public var time: Timestamp
    public var conversationID: String
    public var payload: Payload

    public init(id: String, source: String, time: Timestamp, conversationID: String, payload: Payload) {
        self.id = id
        self.source = source
        self.time = time
        self.conversationID = conversationID
        self.payload = payload
    }

    public enum Payload: Sendable, Equatable {
        case started(Started)
        case customerMessage(messageID: String, text: String)
        case botMessage(BotMessage)
        case feedback(messageID: String, helpful: Bool)
        case handoffRequested(messageID: String?)
        case offerAnswered(offerID: String, answer: OfferAnswer)
        case handoffAbandoned(handoffID: String?)
        case ended(resolved: Bool, csat: Int?)
        case handoffAccepted(handoffID: String?, agentID: String)
        case handoffRequeued(handoffID: String?, agentID: String?, reason: String?)
        case handoffCompleted(handoffID: String?, agentID: String?, handback: Bool)
        case callbackRequested(CallbackRequest)
        case callbackCancelled(callbackID: String?)
        case callbackCompleted(callbackID: String, attempt: Int?, outcome: CallbackOutcome)
    }

    /// A customer asks to be called back (from the chat frontend).
    public struct CallbackRequest: Sendable, Equatable {
        public var contactRef: String
        /// IANA name, e.g. Europe/Berlin.
        public var timeZone: String
        public var windows: [CallbackSlot]
        /// The queue to call from; default: the open handoff's, else the routing's for the conversation.
        public var queue: String?

        public init(contactRef: String, timeZone: String, windows: [CallbackSlot] = [], queue: String? = nil) {
            self.contactRef = contactRef
            self.timeZone = timeZone
            self.windows = windows
            self.queue = queue
        }
    }

    /// What the dialer reports after a callback attempt.
    public enum CallbackOutcome: String, Sendable, Equatable, CaseIterable {
        case connected
        case noAnswer = "no_answer"
        case busy
        case failed
    }

    public struct Started: Sendable, Equatable {
        public var customerID: String
        public var channel: String
        public var locale: String
        public var customerTier: String?
        /// The customer's IANA time zone, when the frontend knows it.
        public var timeZone: String?
        public var metadata: [String: String]

        public init(customerID: String, channel: String, locale: String, customerTier: String? = nil, timeZone: String? = nil,
                    metadata: [String: String] = [:]) {
            self.customerID = customerID
            self.channel = channel
            self.locale = locale
            self.customerTier = customerTier
            self.timeZone = timeZone
            self.metadata = metadata
        }
    }

    public struct BotMessage: Sendable, Equatable {
        public var messageID: String
        public var text: String
        public var sources: [String]
        public var confidence: Double?
        public var faithfulness: Double?
        public var inReplyTo: String?

        public init(messageID: String, text: String, sources: [String], confidence: Double? = nil, faithfulness: Double? = nil, inReplyTo: String? = nil) {
            self.messageID = messageID
            self.text = text
            self.sources = sources
            self.confidence = confidence
            self.faithfulness = faithfulness
            self.inReplyTo = inReplyTo
        }
    }

    public enum OfferAnswer: String, Sendable, Equatable, CaseIterable {
        case accepted, declined, callback
    }
}

/// An agent desktop's status report, read from `support.agents` by every instance.
public struct AgentStatus: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case available, busy, away, offline }
    public var agentID: String
    public var status: Status
    public var queues: [String]
    public var capacity: Int
    public var time: Timestamp
}
