/// Decides whether a customer message explicitly asks for a person, in en, de, fr, es, it, nl, pt, cs.
///
/// A request needs a word for a person *and* a request around it ("can I talk to…", "passez-moi…",
/// "mit einem Menschen sprechen"), or a very short message that is nothing but such a word
/// ("agent!!", "operator please"). Questions about the bot's identity ("are you a bot?", "bist du ein
/// Mensch?"), and person words used as something else ("agent ID", "human error", "human resources")
/// do not count.
public struct HumanRequestDetector: Sendable {
    public struct Finding: Sendable, Equatable {
        /// The words that made the request, as written (folded).
        public var phrase: String
    }

    enum Word: Hashable, Sendable {
        case person        // a person noun that is a request target on its own
        case vaguePerson   // "someone", "jemand": only with a speaking verb
        case speakVerb     // speak / talk / connect / transfer
        case wantVerb      // want / need / can / please
        case realModifier  // real / live / actual
        case identity      // "are you", "is this", "i am": questions or statements about identity
        case disqualifier  // "id", "number", "error", "resources": the noun is something else
        case negation      // "don't need a person", "no human"
        case phrase        // a whole request by itself ("passez-moi", "pasame con")
        case about         // "complain about your technician": the person is the subject, not the wish
    }

    static let lexicon = Lexicon<Word>([
        (.person, 1, [
            // en
            "human", "humans", "person", "agent", "agents", "representative", "rep", "operator", "manager", "supervisor",
            "staff", "employee", "advisor", "adviser", "consultant", "colleague", "live chat", "engineer", "technician", "specialist",
            "boss", "superior", "officer", "department", "someone senior", "abteilung", "departement", "service client", "departamento", "reparto", "afdeling",
            "gerente", "responsavel", "responsable",
            // de
            "mensch", "menschen", "mitarbeiter*", "berater*", "kundenberater*", "sachbearbeiter*", "vorgesetzte*", "kollege*", "kollegin", "ansprechpartner*", "techniker*", "spezialist*",
            // fr
            "humain", "humaine", "conseiller", "conseillere", "conseillers", "operateur", "operatrice", "responsable", "interlocuteur", "technicien", "specialiste",
            // es
            "humano", "humana", "persona", "agente", "operador", "operadora", "asesor", "asesora", "representante", "encargado", "encargada", "tecnico", "especialista", "supervisora",
            // it
            "umano", "umana", "operatore", "operatrice", "consulente", "addetto", "addetta", "responsabile",
            // nl
            "mens", "medewerker*", "persoon", "klantenservice", "leidinggevende", "monteur",
            // pt
            "pessoa", "atendente", "consultor", "consultora",
            // cs
            "clovek*", "cloveka", "operator*", "pracovnik*", "konzultant*", "vedouci*", "vedoucim", "zivy", "ziveho", "technik*", "specialist*",
        ]),
        (.vaguePerson, 1, [
            "someone", "somebody", "anyone", "anybody", "jemand", "jemandem", "jemanden", "quelqu un", "quelquun", "alguien", "qualcuno",
            "iemand", "alguem", "nekdo", "nekym", "nekoho", "nekomu",
        ]),
        (.speakVerb, 1, [
            "speak*", "talk*", "chat with", "connect*", "transfer*", "put me through", "escalate*", "call me", "ring me", "get me", "give me", "put me",
            "sprechen", "reden", "verbinden", "verbunden", "weiterleiten", "weiterverbinden", "durchstellen", "zuruckrufen",
            "parler", "discuter", "joindre", "transferer", "passer", "contacter", "echanger",
            "hablar", "comunicar*", "transferir", "contactar", "pasar", "charlar",
            "parlare", "passare", "contattare", "trasferire", "sentire",
            "spreken", "praten", "doorverbinden", "verbinden", "bellen", "aan de lijn",
            "falar", "conversar", "transferir", "atendimento",
            "mluvit", "hovorit", "spojit", "prepojit", "promluvit", "spojeni",
        ]),
        (.wantVerb, 1, [
            "want", "wanna", "need", "give me", "get me", "let me", "can i", "could i", "may i", "i d like", "id like", "please", "pls", "plz", "can a", "could a",
            "mochte", "moechte", "will", "brauche", "verlange", "bitte", "kann ich", "konnte ich", "gib mir", "geben sie mir",
            "veux", "voudrais", "besoin", "svp", "puis je", "je peux", "passez moi", "mettez moi",
            "quiero", "quisiera", "necesito", "puedo", "por favor", "pasame", "paseme",
            "voglio", "vorrei", "bisogno", "posso", "per favore", "passami", "mi passi",
            "wil", "graag", "kan ik", "mag ik", "alstublieft", "aub",
            "quero", "gostaria", "preciso", "posso", "por favor",
            "chci", "chtel", "chtela", "potrebuji", "potreboval", "muzu", "prosim", "dejte mi",
        ]),
        (.realModifier, 1, [
            "real", "actual", "live", "echten", "echte", "echter", "richtigen", "vrai", "vraie", "reel", "reelle", "de verdad", "real",
            "vero", "vera", "reale", "echt", "echte", "de verdade", "skutecny", "skutecnym", "skutecneho", "zivym", "ziveho",
        ]),
        (.identity, 1, [
            "are you", "r u", "are u", "is this", "is it", "am i talking", "am i chatting", "am i speaking", "i am", "im a", "i m a",
            "bist du", "sind sie", "ist das", "rede ich", "spreche ich", "ich bin",
            "es tu", "etes vous", "est ce", "c est", "je suis",
            "eres", "es usted", "estoy hablando", "soy",
            "sei", "sei un", "e un", "sto parlando", "sono",
            "ben je", "ben jij", "bent u", "is dit", "praat ik", "ik ben",
            "voce e", "e um", "estou falando", "sou",
            "jsi", "jste", "je to", "mluvim s", "jsem",
        ]),
        (.disqualifier, 1, [
            "id", "ids", "number", "numbers", "nummer", "numero", "cislo", "code", "codes", "resources", "resource", "error", "errors",
            "fehler", "erreur", "personal", "personale", "sample", "rights", "nature", "trafficking", "out",
            "oddeleni", "agentur*", "agency", "personnel", "data", "daten", "dados", "datos", "dati", "gegevens", "udaj*",
        ]),
        (.negation, 1, [
            "dont need", "do not need", "dont want", "do not want", "no need", "not a", "not an", "no human",
            "brauche keinen", "keinen menschen", "pas besoin", "no necesito", "non ho bisogno", "niet nodig", "nao preciso", "nepotrebuji",
        ]),
        (.about, 1, ["about", "uber", "sur", "sobre", "su", "over", "every", "each", "jeder", "jede", "chaque", "cada", "ogni", "elke", "kazdy"]),
        (.phrase, 1, [
            "passez moi", "passe moi", "pasame con", "paseme con", "passami", "mi passi", "mettimi in contatto", "verbinden sie mich",
            "verbind me door", "me passa", "me transfere", "prepojte me", "spojte me", "escalate this", "escalate to", "me pasa con", "pasa con",
        ]),
    ])

    public init() {}

    /// The request found in `text`, if any.
    public func detect(_ text: NormalizedText) -> Finding? {
        let matches = Self.lexicon.matches(in: text)
        guard !matches.isEmpty else { return nil }
        let tokens = text.tokens
        if let phrase = matches.first(where: { $0.label == .phrase }) {
            return Finding(phrase: tokens[phrase.position..<min(tokens.count, phrase.position + phrase.length + 2)].joined(separator: " "))
        }
        for match in matches where match.label == .person || match.label == .vaguePerson {
            let position = match.position
            let end = position + match.length
            // The noun used as something else: "agent ID", "human error", "human resources".
            if end < tokens.count, matches.contains(where: { $0.label == .disqualifier && $0.position == end }) { continue }
            if position > 0, matches.contains(where: { $0.label == .disqualifier && $0.position == position - 1 && tokens[position - 1] != "personal" }) { continue }
            let window = max(0, position - 7)..<position
            let before = matches.filter { window.contains($0.position) }
            // Asking what the bot is, or saying what the customer is, is not a request.
            if before.contains(where: { $0.label == .identity }) && !before.contains(where: { $0.label == .speakVerb }) { continue }
            if before.contains(where: { $0.label == .about && $0.position >= position - 2 }) { continue }
            // "I don't need a person", "no human": said right before the noun, it is a refusal.
            if before.contains(where: { $0.label == .negation && $0.position >= position - 3 }) { continue }
            let speaks = before.contains { $0.label == .speakVerb } || matches.contains { $0.label == .speakVerb && $0.position > position && $0.position <= end + 3 }
            // "a real person" counts; "real" far from the noun ("autonomia real com uma pessoa") does not.
            let wants = before.contains { $0.label == .wantVerb || ($0.label == .realModifier && $0.position >= position - 2) }
            // "operator please", "agent, now": the noun opening the message, asked for.
            let opens = position == 0 && matches.contains { $0.label == .wantVerb && $0.position == end }
            let isShortMessage = tokens.count <= 4 || opens
            let start = before.filter { [.speakVerb, .wantVerb, .realModifier].contains($0.label) }.map(\.position).min() ?? position
            switch match.label {
            case .vaguePerson:
                if speaks { return finding(tokens, start, end) }
            default:
                if speaks || wants || isShortMessage { return finding(tokens, start, end) }
            }
        }
        return nil
    }

    private func finding(_ tokens: [String], _ start: Int, _ end: Int) -> Finding {
        Finding(phrase: tokens[start..<end].joined(separator: " "))
    }
}
