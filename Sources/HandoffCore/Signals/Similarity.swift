/// How much two texts say the same thing, from 0 (nothing shared) to 1 (the same words).
///
/// Dice coefficient over content-word stems (first five letters of words of three or more
/// letters, stop words removed): re-wordings of one answer score high, different answers low.
public enum Similarity {
    public static func stems(_ text: NormalizedText) -> Set<String> {
        // Gathered first, so the set is made once at its size instead of growing (and hashing again) as it fills.
        var stems: [String] = []
        stems.reserveCapacity(text.tokens.count)
        for token in text.tokens where NormalizedText.has(token, atLeast: 3) && !stopWords.contains(token) {
            stems.append(NormalizedText.prefix(token, 5))
        }
        return Set(stems)
    }

    public static func dice(_ lhs: Set<String>, _ rhs: Set<String>) -> Double {
        guard !lhs.isEmpty, !rhs.isEmpty else { return 0 }
        let shared = lhs.intersection(rhs).count
        return 2 * Double(shared) / Double(lhs.count + rhs.count)
    }

    static let stopWords: Set<String> = [
        "the", "and", "you", "your", "for", "are", "was", "not", "but", "can", "this", "that", "with", "have", "has", "had", "from",
        "they", "will", "would", "there", "what", "when", "where", "which", "who", "how", "why", "our", "out", "all", "any", "its",
        "dont", "did", "does", "just", "please", "thanks", "hello", "also", "then", "than", "them", "been", "into", "about", "could",
        "der", "die", "das", "und", "ist", "ich", "sie", "nicht", "mit", "ein", "eine", "den", "dem", "des", "auf", "fur", "bitte", "ihr", "ihre",
        "les", "des", "est", "une", "pas", "que", "qui", "pour", "avec", "vous", "nous", "mon", "mes", "sur", "dans",
        "los", "las", "una", "por", "con", "para", "que", "del", "mis", "esta", "este", "como",
        "che", "non", "per", "una", "con", "del", "della", "sono", "mio", "mia",
        "het", "een", "van", "niet", "met", "voor", "mijn", "ik", "dat", "wat",
        "uma", "nao", "com", "para", "por", "meu", "minha", "que",
        "jsem", "jste", "neni", "pro", "moje", "muj", "jak", "kde",
    ]
}
