/// What a message's text shows on its own, before its conversation is consulted: cues, stems and topic
/// scores (key facts are read only when a summary needs them: ``ConversationState/keyFacts``). It is
/// pure, so it can be worked out ahead on any thread (the pipeline does it while decoding a batch, in
/// slices on every core) and applied in order later; the conversation machine works it out itself
/// when it is not given one.
public enum MessageAnalysis: Sendable {
    case customer(Customer)
    case bot(Bot)

    public struct Customer: Sendable {
        let cues: CustomerCues
        let stems: Stems
        let scores: TopicClassifier.Scores
        let wordCount: Int

        public init(text: String) {
            let normalized = NormalizedText(text)
            cues = ConversationMachine.customerCues.read(normalized)
            stems = Similarity.stems(normalized)
            scores = ConversationMachine.topics.score(normalized)
            wordCount = normalized.tokens.count
        }
    }

    public struct Bot: Sendable {
        let cues: BotReplyCues
        let stems: Stems

        public init(text: String) {
            let normalized = NormalizedText(text)
            cues = ConversationMachine.botCues.read(normalized)
            stems = Similarity.stems(normalized)
        }
    }

    /// The analysis of a message event; nil for an event without text to read.
    public init?(_ event: ConversationEvent) {
        switch event.payload {
        case .customerMessage(_, let text): self = .customer(Customer(text: text))
        case .botMessage(let message): self = .bot(Bot(text: message.text))
        default: return nil
        }
    }

    var customer: Customer? { if case .customer(let analysis) = self { analysis } else { nil } }
    var bot: Bot? { if case .bot(let analysis) = self { analysis } else { nil } }
}
