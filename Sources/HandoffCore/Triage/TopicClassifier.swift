/// Scores customer text against per-category vocabularies in en, de, fr, es, it, nl, pt, cs.
///
/// Deterministic and explainable: a score is the sum of the weights of the words that matched, and
/// the matched words are returned with it. Strong terms (2) name the topic ("refund", "Anwalt");
/// weak terms (1) hint at it ("broken", "paid").
public struct TopicClassifier: Sendable {
    public struct Scores: Sendable, Equatable {
        public var byCategory: [Category: Double] = [:]
        public var evidence: [Category: [String]] = [:]

        public init() {}

        public mutating func add(_ other: Scores) {
            for (category, score) in other.byCategory { byCategory[category, default: 0] += score }
            for (category, words) in other.evidence { evidence[category, default: []].append(contentsOf: words) }
        }

        /// The best category with at least `minimum` points; `.other` when none has.
        public func best(minimum: Double = 1) -> Category {
            var best: (Category, Double)?
            for category in Category.allCases where category != .other {
                let score = byCategory[category] ?? 0
                guard score >= minimum else { continue }
                if best == nil || score > best!.1 || (score == best!.1 && category < best!.0) {
                    best = (category, score)
                }
            }
            return best?.0 ?? .other
        }

        /// The triage decision: a sensitive topic named strongly enough wins (legal first), else the
        /// best-scoring category.
        public func category(sensitiveMinimum: Double) -> Category {
            sensitive(minimum: sensitiveMinimum) ?? best()
        }

        /// The most sensitive category that has at least `minimum` points, if any.
        public func sensitive(minimum: Double) -> Category? {
            Category.allCases.filter { $0.isSensitive && (byCategory[$0] ?? 0) >= minimum }.min()
        }
    }

    public init() {}

    public func score(_ text: NormalizedText) -> Scores {
        var scores = Scores()
        var seen = Set<String>()
        for match in TopicLexicon.lexicon.matches(in: text) where seen.insert(match.pattern).inserted {
            scores.byCategory[match.label, default: 0] += match.weight
            scores.evidence[match.label, default: []].append(match.pattern)
        }
        return scores
    }
}
