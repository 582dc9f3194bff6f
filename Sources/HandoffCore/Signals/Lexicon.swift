/// A weighted list of words and phrases, matched against ``NormalizedText`` tokens.
///
/// Patterns are written folded (no diacritics). `word` matches the token exactly; `word*` matches any
/// token starting with `word` (at least three letters); a pattern of several words matches
/// consecutive tokens, the last one may carry `*`.
public struct Lexicon<Label: Hashable & Sendable>: Sendable {
    public struct Entry: Sendable {
        public var tokens: [String]
        public var lastIsPrefix: Bool
        public var label: Label
        public var weight: Double
        public var pattern: String
    }

    public struct Match: Sendable, Equatable {
        public var label: Label
        public var weight: Double
        public var pattern: String
        /// Index of the first token matched.
        public var position: Int
        /// How many tokens the match spans.
        public var length: Int
    }

    private var byExactFirst: [String: [Int]] = [:]
    private var byPrefixFirst: [String: [Int]] = [:]
    /// Most tokens start no pattern: these answer "certainly not" for them more cheaply than a look-up.
    private var exactFilter = TokenFilter()
    private var prefixFilter = TokenFilter()
    private(set) var entries: [Entry] = []

    public init(_ groups: [(Label, Double, [String])]) {
        for (label, weight, patterns) in groups {
            for pattern in patterns { add(pattern, label: label, weight: weight) }
        }
    }

    private mutating func add(_ pattern: String, label: Label, weight: Double) {
        let words = NormalizedText.tokenize(pattern.replacingStar())
        guard !words.isEmpty else { return }
        let isPrefix = pattern.hasSuffix("*")
        precondition(!isPrefix || words.count > 1 || words[0].count >= 3, "a one-word prefix pattern needs three letters: \(pattern)")
        let entry = Entry(tokens: words, lastIsPrefix: isPrefix, label: label, weight: weight, pattern: pattern)
        let index = entries.count
        entries.append(entry)
        if words.count == 1 && isPrefix {
            let prefix = String(words[0].prefix(3))
            byPrefixFirst[prefix, default: []].append(index)
            prefixFilter.insert(prefix.utf8)
        } else {
            byExactFirst[words[0], default: []].append(index)
            exactFilter.insert(words[0].utf8)
        }
    }

    /// Every match in `text`, in token order. A phrase and a word inside it both match.
    public func matches(in text: NormalizedText) -> [Match] {
        let tokens = text.tokens
        var found: [Match] = []
        for position in tokens.indices {
            let token = tokens[position]
            let bits = text.filterBits[position]
            if exactFilter.mayContain(bit: bits.token), let candidates = byExactFirst[token] {
                for index in candidates where matchesAt(entries[index], tokens, position) {
                    let entry = entries[index]
                    found.append(Match(label: entry.label, weight: entry.weight, pattern: entry.pattern, position: position, length: entry.tokens.count))
                }
            }
            if bits.prefix >= 0, prefixFilter.mayContain(bit: bits.prefix), let candidates = byPrefixFirst[NormalizedText.prefix(token, 3)] {
                for index in candidates where token.hasPrefix(entries[index].tokens[0]) {
                    let entry = entries[index]
                    found.append(Match(label: entry.label, weight: entry.weight, pattern: entry.pattern, position: position, length: 1))
                }
            }
        }
        return found
    }

    private func matchesAt(_ entry: Entry, _ tokens: [String], _ position: Int) -> Bool {
        let count = entry.tokens.count
        guard position + count <= tokens.count else { return false }
        for offset in 0..<count {
            let token = tokens[position + offset]
            let expected = entry.tokens[offset]
            if offset == count - 1 && entry.lastIsPrefix {
                if !token.hasPrefix(expected) { return false }
            } else if token != expected {
                return false
            }
        }
        return true
    }
}

/// A set of byte strings that may answer "maybe" for one it does not hold, never "no" for one it holds:
/// one bit per FNV-1a hash of the bytes, 65 536 bits.
struct TokenFilter: Sendable {
    private var bits = [UInt64](repeating: 0, count: 1024)

    mutating func insert(_ bytes: String.UTF8View) {
        let bit = Self.bit(bytes)
        bits[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    func mayContain(_ bytes: String.UTF8View) -> Bool {
        mayContain(bit: Self.bit(bytes))
    }

    /// With the bit of the bytes (``bit(_:)``) worked out before: a text's tokens are looked up in several lexicons.
    func mayContain(bit: Int) -> Bool {
        bits[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    static func bit(_ bytes: String.UTF8View) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int((hash ^ hash >> 16) & 0xFFFF)
    }
}

extension String {
    fileprivate func replacingStar() -> String {
        String(unicodeScalars.filter { $0 != "*" })
    }
}
