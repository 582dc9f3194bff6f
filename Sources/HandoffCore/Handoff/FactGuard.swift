/// Checks an LLM-written summary against the transcript: every key fact must occur in the message
/// it cites, and every number, id, amount or date in the free-text fields must occur somewhere in the
/// transcript. What fails is removed before an agent sees it, and counted (issue 3 groundwork: the
/// LLM client will call this on every summary).
public struct FactGuard: Sendable {
    public struct Fact: Sendable, Equatable {
        public var kind: String
        public var value: String
        public var messageID: String
        public init(kind: String, value: String, messageID: String) {
            self.kind = kind
            self.value = value
            self.messageID = messageID
        }
    }

    public struct Verdict: Sendable, Equatable {
        public var kept: [Fact]
        /// Each dropped fact with the reason.
        public var dropped: [(fact: Fact, reason: String)]
        /// The free-text fields with unsupported sentences removed.
        public var freeText: [String: String]
        /// Sentences removed from the free text, with the figure that had no support.
        public var removedSentences: [(field: String, sentence: String, unsupported: String)]

        /// Facts kept ÷ facts proposed (1 when none were proposed): the summary fact retention.
        public var retention: Double {
            let proposed = kept.count + dropped.count
            return proposed == 0 ? 1 : Double(kept.count) / Double(proposed)
        }

        public static func == (lhs: Verdict, rhs: Verdict) -> Bool {
            lhs.kept == rhs.kept && lhs.dropped.map(\.fact) == rhs.dropped.map(\.fact) && lhs.freeText == rhs.freeText
        }
    }

    public init() {}

    public func check(facts: [Fact], freeText: [String: String], transcript: [TranscriptEntry]) -> Verdict {
        var messages: [String: String] = [:]
        for entry in transcript { messages[entry.messageID] = Self.normalize(entry.text) }
        let everything = messages.values.joined(separator: " ")
        var kept: [Fact] = []
        var dropped: [(Fact, String)] = []
        for fact in facts {
            let value = Self.normalize(fact.value)
            guard let message = messages[fact.messageID] else {
                dropped.append((fact, "cites message \(fact.messageID), which is not in the transcript"))
                continue
            }
            if value.isEmpty || !message.contains(value) {
                dropped.append((fact, "'\(fact.value)' does not occur in message \(fact.messageID)"))
                continue
            }
            kept.append(fact)
        }
        var cleaned: [String: String] = [:]
        var removed: [(String, String, String)] = []
        for field in freeText.keys.sorted() {
            var sentences: [String] = []
            for sentence in Self.sentences(freeText[field]!) {
                if let unsupported = Self.figures(in: sentence).first(where: { !everything.contains(Self.normalize($0)) }) {
                    removed.append((field, sentence, unsupported))
                } else {
                    sentences.append(sentence)
                }
            }
            cleaned[field] = sentences.joined(separator: " ")
        }
        return Verdict(kept: kept, dropped: dropped, freeText: cleaned, removedSentences: removed)
    }

    /// Letters and digits only, folded: "A-10023" and "a10023", "€129.99" and "129,99 €" compare equal.
    static func normalize(_ text: String) -> String {
        NormalizedText.tokenize(text).joined()
    }

    /// Words with a digit in them: order numbers, amounts, dates, codes.
    static func figures(in sentence: String) -> [String] {
        sentence.split(whereSeparator: { $0.isWhitespace }).map { word in
            String(word.trimmingCharacters(in: ".,;:!?()\"'«»"))
        }.filter { $0.contains(where: \.isNumber) }
    }

    /// Split after . ! ? followed by a space or the end ("149.99" stays whole).
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let atBoundary = index + 1 == characters.count || characters[index + 1].isWhitespace
            if ".!?".contains(character) && atBoundary {
                let trimmed = current.trimmingCharacters(in: " ")
                if !trimmed.isEmpty { sentences.append(String(trimmed)) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: " ")
        if !rest.isEmpty { sentences.append(String(rest)) }
        return sentences
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return Substring(slice)
    }
}
