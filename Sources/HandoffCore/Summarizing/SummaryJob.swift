/// What a model is asked to summarise: the transcript and what the broker already decided. Taken
/// from a handoff (at escalation) or from a conversation close to escalating (ahead of time).
public struct SummaryJob: Sendable, Equatable {
    public var conversationID: String
    public var transcript: [TranscriptEntry]
    /// Why a human is needed (already decided), or why the conversation is close to it.
    public var reasons: [String]
    public var category: Category
    /// The customer's language (ISO 639-1).
    public var language: String
    /// The extractive summary: used when the model's answer cannot be, and the source of the fields
    /// the broker itself decides (escalation reason, the bot's answers quoted).
    public var fallback: Summary

    public init(conversationID: String, transcript: [TranscriptEntry], reasons: [String], category: Category, language: String, fallback: Summary) {
        self.conversationID = conversationID
        self.transcript = transcript
        self.reasons = reasons
        self.category = category
        self.language = language
        self.fallback = fallback
    }

    /// At escalation.
    public init(handoff: Handoff) {
        self.init(conversationID: handoff.conversationID, transcript: handoff.transcript, reasons: handoff.reasons.map(\.detail),
                  category: handoff.category, language: handoff.language, fallback: handoff.summary)
    }

    /// Ahead of escalation: a conversation that is close to it.
    public init(ahead state: ConversationState, policy: EscalationPolicy) {
        let category = state.topics.category(sensitiveMinimum: policy.sensitiveTopic.minimumScore)
        self.init(conversationID: state.conversationID, transcript: state.transcript, reasons: [], category: category, language: state.language,
                  fallback: ExtractiveSummarizer().summarize(state: state, reasons: [], category: category, language: state.language))
    }

    /// The last message the model will see.
    public var lastMessageID: String? { transcript.last?.messageID }
}
