/// Everything the broker remembers about one conversation, bounded in size.
public struct ConversationState: Sendable, Equatable {
    public var conversationID: String
    public var customerID: String?
    public var channel: String?
    public var locale: String?
    public var customerTier: String?
    /// The customer's IANA time zone, from the start event (nil when the frontend did not say).
    public var timeZone: String?
    public var startedAt: Timestamp?
    public var lastEventAt: Timestamp?
    public var ended = false
    /// The most recent messages (customer, bot), at most the policy's `transcriptLimit`.
    public var transcript: [TranscriptEntry] = []
    /// The bot's replies since the last handoff, newest last, bounded.
    public var replies: [BotReply] = []
    public var consecutiveLowConfidence = 0
    /// Frustration points of the last three customer messages.
    public var recentFrustration: [Double] = []
    /// Whether the customer insulted anyone since the last handoff closed.
    public var insultThisCycle = false
    /// Whether the customer's latest message thanked (and asked for nothing more).
    public var lastCustomerThanked = false
    /// The customer's first substantive message: what they came for, kept when the transcript rolls over.
    public var goal: String?
    /// Facts the customer quoted in messages that have left the transcript (see ``keyFacts``).
    public var earlierKeyFacts: [Summary.KeyFact] = []
    /// Topic points accumulated over the customer's messages.
    public var topics = TopicClassifier.Scores()
    /// Content-word stems of the customer's last three messages, to recognise a repeated question.
    public var recentCustomerStems: [Stems] = []
    public var lastCustomerMessageID: String?
    /// Offers made in this conversation; an offer is made once per escalation cycle.
    public var offersMade = 0
    public var offeredThisCycle = false
    /// The current (or last) handoff.
    public var handoff: Handoff?
    /// When the first escalation signal of this cycle was seen (for time-to-escalation).
    public var firstSignalAt: Timestamp?
    /// Ids of the most recent input events, to recognise re-deliveries.
    public var recentEventIDs: [String] = []
    /// The input offset of the last record applied (partition-local), so a re-read record changes nothing.
    public var lastOffset: Int64?
    /// Callbacks asked for and not yet done (at most a few).
    public var callbacks: [PendingCallback] = []
    /// A callback was booked: a person handles this conversation (it is not deflected).
    public var calledBack = false

    public init(conversationID: String) {
        self.conversationID = conversationID
    }

    /// Facts the customer quoted (order numbers, amounts, …) in the whole conversation, in order, at most
    /// 20: those of messages that left the transcript, then those of the customer's messages in it. They
    /// are read from a message when it leaves the transcript or when a summary asks, not on every message.
    public var keyFacts: [Summary.KeyFact] {
        var facts = earlierKeyFacts
        for entry in transcript where entry.role == .customer { Self.addKeyFacts(of: entry, to: &facts) }
        return facts
    }

    static let keyFactLimit = 20

    /// Adds the facts of a customer message that `facts` does not have yet, up to the limit.
    static func addKeyFacts(of entry: TranscriptEntry, to facts: inout [Summary.KeyFact]) {
        guard facts.count < keyFactLimit else { return }
        for fact in ConversationMachine.keyFacts.extract(from: entry.text, messageID: entry.messageID)
        where facts.count < keyFactLimit && !facts.contains(where: { $0.value == fact.value }) {
            facts.append(fact)
        }
    }

    /// After a handoff the bot stays silent until handed back.
    public var botPaused: Bool { handoff?.status.isOpen ?? false }

    /// The conversation's language: the locale's language, else English.
    public var language: String {
        guard let locale, let prefix = locale.split(whereSeparator: { $0 == "-" || $0 == "_" }).first, prefix.count == 2 || prefix.count == 3 else {
            return "en"
        }
        return prefix.lowercased()
    }

    /// Unsuccessful replies since the last successful one.
    public var unsuccessfulReplies: Int {
        var count = 0
        for reply in replies.reversed() {
            if reply.outcome == .success { break }
            if reply.outcome == .failure { count += 1 }
        }
        return count
    }

    public struct BotReply: Sendable, Equatable {
        public enum Outcome: String, Sendable { case unknown, success, failure }
        public var messageID: String
        public var outcome: Outcome
        /// Why it failed (ungrounded, low confidence, helpful:false, …), for the explanation.
        public var failureCauses: [String]
        public var grounded: Bool
        public var confidence: Double?
        public var cues: BotReplyCues
        public var stems: Stems
        /// Similarity to the reply before it.
        public var similarityToPrevious: Double
    }
}
