/// What one customer message says about how the conversation is going.
public struct CustomerCues: Sendable, Equatable {
    /// How frustrated the message reads: phrases 1 each, insults 2, shouting 1, `!?!?` 1.
    public var frustration: Double
    /// The cues behind `frustration`, for the handoff's explanation.
    public var frustrationCues: [String]
    public var hasInsult: Bool
    /// "That didn't work", "still not working": the last answer did not help.
    public var saysNotHelped: Bool
    /// "Thanks", "that worked": the last answer helped.
    public var saysThanks: Bool
    /// An explicit request for a person.
    public var humanRequest: HumanRequestDetector.Finding?

    public static let none = CustomerCues(frustration: 0, frustrationCues: [], hasInsult: false, saysNotHelped: false, saysThanks: false, humanRequest: nil)
}

/// Reads frustration, "didn't help", thanks and requests for a person out of customer text.
public struct CustomerCueReader: Sendable {
    enum Cue: Hashable, Sendable { case frustration, insult, notHelped, thanks }

    static let lexicon = Lexicon<Cue>([
        (.frustration, 1, [
            // en
            "useless", "pointless", "not helpful", "unhelpful", "waste of time", "wasting my time", "ridiculous", "terrible", "awful",
            "horrible", "worst", "i already said", "i already told", "already told you", "as i said", "i said", "again and again",
            "you dont understand", "not what i asked", "are you even listening", "listen to me", "fed up", "sick of", "unacceptable",
            "frustrat*", "angry", "furious", "annoy*", "wtf", "for gods sake", "seriously", "joke", "pathetic", "disgrace*",
            "third time", "3rd time", "how many times", "going in circles", "in circles", "nonsense", "sick and tired",
            "telling you", "told you", "ive asked", "i ve asked", "asked twice", "times now", "still waiting", "not listening",
            // de
            "nutzlos", "sinnlos", "bringt nichts", "unverschamt", "frechheit", "schon gesagt", "habe ich doch", "schon wieder",
            "zum dritten mal", "katastrophe", "unmoglich", "verstehen sie nicht", "verstehst du nicht", "argerlich", "sauer", "wutend",
            "reicht mir", "zum kotzen", "lacherlich", "witz", "im kreis",
            // fr
            "inutile", "ne sert a rien", "sert a rien", "ridicule", "deja dit", "n importe quoi", "inadmissible", "enerve*",
            "marre", "scandal*", "honteux", "agace*", "vous ne comprenez pas", "tu ne comprends pas", "toujours la meme",
            // es
            "inutil", "no sirve", "ya te dije", "ya lo dije", "ya dije", "ridiculo", "harto", "harta", "pesimo", "verguenza",
            "no entiendes", "no me entiendes", "indignante", "una broma", "estoy cansad*",
            // it
            "non serve", "ho gia detto", "gia detto", "ridicolo", "vergogna", "stufo", "stufa", "pessimo", "non capisci",
            "assurdo", "scandalos*", "arrabbiat*",
            // nl
            "nutteloos", "al gezegd", "belachelijk", "waardeloos", "schandalig", "ik word gek", "boos", "zinloos", "onacceptabel",
            // pt
            "nao serve", "ja disse", "ja falei", "absurdo", "cansad*", "nao entende", "vergonha", "ridiculo", "irritad*",
            // cs
            "k nicemu", "zbytecn*", "uz jsem rikal", "uz jsem psal", "uz jsem to", "smesne", "nehoraznost", "nerozumis", "nerozumite",
            "stve me", "naštvan*", "nastvan*", "otresne",
        ]),
        (.insult, 2, [
            "idiot*", "stupid", "dumb", "moron*", "shit*", "crap", "fuck*", "bullshit", "scheiss*", "scheis*", "blod*", "verdammt",
            "merde", "putain", "connard*", "debile", "mierda", "estupid*", "idiota", "joder", "cazzo", "stupido", "stupida",
            "schifo", "kut", "klote", "godverdomme", "merda", "porra", "droga", "kurva", "hovno", "debil*", "sakra",
        ]),
        (.notHelped, 1, [
            "didnt work", "did not work", "doesnt work", "does not work", "not working", "still not", "still doesnt", "still does not",
            "didnt help", "did not help", "doesnt help", "does not help", "not what i", "that is wrong", "thats wrong", "thats not",
            "that doesnt", "no that", "still broken", "still the same", "same problem", "same issue", "already tried", "i tried that",
            "hat nicht funktioniert", "funktioniert nicht", "klappt nicht", "hilft nicht", "hilft mir nicht", "immer noch", "stimmt nicht",
            "schon versucht", "ne marche pas", "ne fonctionne pas", "marche toujours pas", "toujours pas", "deja essaye", "ca n aide pas",
            "no funciona", "sigue sin", "no me ayuda", "ya lo intente", "ya probe", "non funziona", "ancora non", "non mi aiuta",
            "gia provato", "werkt niet", "nog steeds", "helpt niet", "al geprobeerd", "nao funciona", "ainda nao", "nao ajuda",
            "ja tentei", "nefunguje", "porad ne", "stale ne", "nepomaha", "uz jsem zkousel", "uz jsem zkousela",
        ]),
        (.thanks, 1, [
            "thank*", "thx", "ty", "cheers", "that worked", "it worked", "works now", "perfect", "great", "awesome", "solved", "fixed",
            "danke*", "vielen dank", "hat funktioniert", "funktioniert jetzt", "super", "prima", "perfekt",
            "merci", "ca marche", "ca fonctionne", "parfait", "gracias", "funciono", "perfecto", "genial",
            "grazie", "funziona", "perfetto", "ottimo", "bedankt", "dank je", "dank u", "werkt nu", "top",
            "obrigad*", "valeu", "funcionou", "perfeito", "dekuji", "diky", "funguje", "super",
        ]),
    ])

    let humanRequests = HumanRequestDetector()

    public init() {}

    public func read(_ text: NormalizedText) -> CustomerCues {
        var cues = CustomerCues.none
        for match in Self.lexicon.matches(in: text) {
            switch match.label {
            case .frustration:
                cues.frustration += match.weight
                cues.frustrationCues.append(match.pattern)
            case .insult:
                cues.frustration += match.weight
                cues.frustrationCues.append(match.pattern)
                cues.hasInsult = true
            case .notHelped:
                cues.saysNotHelped = true
            case .thanks:
                cues.saysThanks = true
            }
        }
        if Self.isShouting(text.original) {
            cues.frustration += 1
            cues.frustrationCues.append("ALL CAPS")
        }
        if Self.hasPunctuationBurst(text.original) {
            cues.frustration += 1
            cues.frustrationCues.append("!?!")
        }
        // "Thanks for nothing" is not thanks.
        if cues.frustration > 0 || cues.saysNotHelped { cues.saysThanks = false }
        cues.humanRequest = humanRequests.detect(text)
        return cues
    }

    /// Mostly capital letters over a stretch long enough not to be an acronym.
    static func isShouting(_ text: String) -> Bool {
        var upper = 0
        var letters = 0
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                if (0x41...0x5A).contains(value) { upper += 1; letters += 1 } else if (0x61...0x7A).contains(value) { letters += 1 }
            } else if scalar.properties.isAlphabetic {
                letters += 1
                if scalar.properties.isUppercase { upper += 1 }
            }
        }
        return letters >= 12 && Double(upper) >= 0.7 * Double(letters)
    }

    /// Three or more `!`/`?` in a row, or five or more in the message.
    static func hasPunctuationBurst(_ text: String) -> Bool {
        var run = 0
        var total = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "!"), UInt8(ascii: "?"):
                run += 1
                total += 1
                if run >= 3 { return true }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"):
                continue
            default:
                run = 0
            }
        }
        return total >= 5
    }
}
