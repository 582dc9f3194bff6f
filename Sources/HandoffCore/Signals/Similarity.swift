/// How much two texts say the same thing, from 0 (nothing shared) to 1 (the same words).
///
/// Dice coefficient over content-word stems (first five letters of words of three or more
/// letters, stop words removed): re-wordings of one answer score high, different answers low.
public enum Similarity {
    public static func stems(_ text: NormalizedText) -> Stems {
        var stems: [String] = []
        stems.reserveCapacity(text.tokens.count)
        for token in text.tokens where NormalizedText.has(token, atLeast: 3) && !stopWords.contains(token) {
            stems.append(NormalizedText.prefix(token, 5))
        }
        return Stems(stems)
    }

    public static func dice(_ lhs: Stems, _ rhs: Stems) -> Double {
        guard !lhs.isEmpty, !rhs.isEmpty else { return 0 }
        return 2 * Double(lhs.sharedCount(with: rhs)) / Double(lhs.count + rhs.count)
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

/// A text's distinct stems in ascending order. Kept sorted once, when the text is analysed: two are
/// compared by walking both (no set is built per comparison), and the changelog stores them as they are.
public struct Stems: Sendable, Equatable {
    public private(set) var sorted: [String]

    public init(_ stems: [String]) {
        var stems = stems
        stems.sort()
        var kept = 0
        for index in stems.indices where kept == 0 || stems[index] != stems[kept - 1] {
            stems.swapAt(kept, index)
            kept += 1
        }
        stems.removeSubrange(kept...)
        sorted = stems
    }

    public var count: Int { sorted.count }
    public var isEmpty: Bool { sorted.isEmpty }

    /// How many stems both have.
    public func sharedCount(with other: Stems) -> Int {
        var (left, right, shared) = (0, 0, 0)
        while left < sorted.count && right < other.sorted.count {
            if sorted[left] < other.sorted[right] {
                left += 1
            } else if other.sorted[right] < sorted[left] {
                right += 1
            } else {
                shared += 1
                left += 1
                right += 1
            }
        }
        return shared
    }
}
