/// What one bot reply says about itself: whether it gave up, or only asked back.
public struct BotReplyCues: Sendable, Equatable {
    /// "I'm sorry, I can't help with that": the question is beyond what the bot knows.
    public var cannotHelp: Bool
    /// The reply asks the customer something instead of answering.
    public var isClarifyingQuestion: Bool
    public var length: Int
}

public struct BotReplyCueReader: Sendable {
    enum Cue: Hashable, Sendable { case cannotHelp, asksBack }

    static let lexicon = Lexicon<Cue>([
        (.cannotHelp, 1, [
            "i cant help", "i cannot help", "i am unable", "im unable", "i am not able", "im not able", "i dont have information",
            "i do not have information", "i dont have any information", "i dont know", "i do not know", "outside my", "beyond my",
            "not able to help", "unable to help", "cannot answer", "cant answer", "no information about", "i could not find",
            "i couldnt find", "not something i can",
            "kann ich leider nicht", "kann ich nicht", "keine informationen", "weiss ich nicht", "nicht beantworten",
            "je ne peux pas", "je ne sais pas", "pas d information", "pas en mesure",
            "no puedo ayudar", "no puedo responder", "no tengo informacion", "no lo se",
            "non posso aiutar*", "non posso rispondere", "non ho informazioni", "non lo so",
            "kan ik niet", "ik weet het niet", "geen informatie",
            "nao posso ajudar", "nao tenho informac*", "nao sei",
            "nemohu pomoci", "nemuzu pomoci", "nevim", "nemam informace",
        ]),
        (.asksBack, 1, [
            "could you", "can you", "would you", "please provide", "please share", "please clarify", "please specify", "please tell me",
            "what do you mean", "which one", "which", "do you mean", "can you clarify",
            "konnten sie", "konnen sie", "welche*", "meinen sie", "pourriez vous", "pouvez vous", "quel", "quelle", "voulez vous dire",
            "podria", "puede", "cual", "se refiere", "potrebbe", "puo", "quale", "intende", "kunt u", "kun je", "welke", "bedoelt u",
            "poderia", "pode", "qual", "quer dizer", "muzete", "mohl*", "ktery", "ktera", "myslite",
        ]),
    ])

    public init() {}

    public func read(_ text: NormalizedText) -> BotReplyCues {
        var cannotHelp = false
        var asksBack = false
        for match in Self.lexicon.matches(in: text) {
            switch match.label {
            case .cannotHelp: cannotHelp = true
            case .asksBack: asksBack = true
            }
        }
        let trimmed = text.original.reversed().drop { $0.isWhitespace }
        let endsWithQuestion = trimmed.first == "?"
        let length = text.original.count
        return BotReplyCues(cannotHelp: cannotHelp, isClarifyingQuestion: endsWithQuestion && (asksBack || length < 160), length: length)
    }
}
