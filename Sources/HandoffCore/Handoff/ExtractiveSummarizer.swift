/// Builds the handoff's summary from the transcript alone: every sentence in it is a quotation,
/// so nothing in it can be invented.
public struct ExtractiveSummarizer: Sendable {
    static let topics = TopicClassifier()
    /// Longest quotation of a message in the summary (characters).
    static let quoteLimit = 280

    public init() {}

    public func summarize(state: ConversationState, reasons: [EscalationReason], category: Category, language: String) -> Summary {
        let customer = state.transcript.filter { $0.role == .customer }
        let bot = state.transcript.filter { $0.role == .bot }
        let goal = state.goal ?? customer.first?.text ?? ""
        // The issue: the message that says most about the category, latest first among equals.
        var issue = customer.last?.text ?? ""
        var bestScore = 0.0
        for message in customer {
            let score = Self.topics.score(NormalizedText(message.text)).byCategory[category] ?? 0
            if score >= bestScore && score > 0 {
                bestScore = score
                issue = message.text
            }
        }
        let maxFrustration = state.recentFrustration.max() ?? 0
        let sentiment: Summary.Sentiment
        if state.insultThisCycle || maxFrustration >= 3 || reasons.contains(where: { $0.code == .frustration }) {
            sentiment = .angry
        } else if maxFrustration > 0 || state.unsuccessfulReplies > 0 || reasons.contains(where: { $0.code == .repeatedFailures || $0.code == .deadEnd }) {
            sentiment = .negative
        } else if state.lastCustomerThanked {
            sentiment = .positive
        } else {
            sentiment = .neutral
        }
        return Summary(
            source: "extractive",
            goal: Self.quote(goal),
            issue: Self.quote(issue),
            botAnswers: bot.suffix(3).map { .init(messageID: $0.messageID, text: Self.quote($0.text)) },
            escalationReason: reasons.map(\.detail).joined(separator: " "),
            sentiment: sentiment,
            keyFacts: state.keyFacts,
            language: language
        )
    }

    static func quote(_ text: String) -> String {
        text.count <= quoteLimit ? text : String(text.prefix(quoteLimit - 1)) + "…"
    }
}
