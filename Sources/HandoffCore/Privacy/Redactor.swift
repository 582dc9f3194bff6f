/// Replaces personal data in text with placeholders before the text leaves for an LLM, and puts the
/// real values back into what comes back (the agent may see them; the model never does).
///
/// Finds e-mail addresses, phone numbers, payment card numbers (Luhn-checked, so order numbers of
/// the same length stay), IBANs (the mod-97 check finds where one ends; a mistyped one is hidden too)
/// and configured literal patterns. The same value
/// always gets the same placeholder within one redaction, so the model can still refer to it.
public struct Redactor: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case email = "EMAIL"
        case phone = "PHONE"
        case card = "CARD"
        case iban = "IBAN"
        case custom = "SECRET"
    }

    /// The redacted text and how to undo it.
    public struct Redaction: Sendable, Equatable {
        public var text: String
        /// placeholder → original value
        public var values: [String: String]

        /// Puts the original values back into `text` (e.g. a summary the model wrote with placeholders).
        public func restore(_ text: String) -> String {
            var restored = text
            // Longest placeholders first, so [EMAIL_10] is not restored as [EMAIL_1] + "0]".
            for placeholder in values.keys.sorted(by: { $0.count > $1.count }) {
                restored = restored.replacingAll(placeholder, with: values[placeholder]!)
            }
            return restored
        }
    }

    /// Literal substrings that are always secret (e.g. internal account codes), matched exactly.
    public var customLiterals: [String]

    public init(customLiterals: [String] = []) {
        self.customLiterals = customLiterals.filter { !$0.isEmpty }
    }

    public func redact(_ text: String) -> Redaction {
        var numbering = Numbering()
        let output = redact(text, numbering: &numbering)
        return Redaction(text: output, values: numbering.values)
    }

    /// Redacts several texts with one numbering: the same value gets the same placeholder in all of them.
    /// - Returns: the redacted texts, in order, and how to undo them.
    public func redact(_ texts: [String]) -> (texts: [String], redaction: Redaction) {
        var numbering = Numbering()
        let outputs = texts.map { redact($0, numbering: &numbering) }
        return (outputs, Redaction(text: "", values: numbering.values))
    }

    /// Placeholders handed out so far.
    private struct Numbering {
        var values: [String: String] = [:]
        var placeholderFor: [String: String] = [:]
        var counters: [Kind: Int] = [:]
    }

    private func redact(_ text: String, numbering: inout Numbering) -> String {
        var found: [(range: Range<String.Index>, kind: Kind)] = []
        let words = Self.words(in: text)
        for word in words where Self.isEmail(text[word]) {
            found.append((word, .email))
        }
        found += Self.numberRuns(in: text, words: words)
        for literal in customLiterals {
            var searchStart = text.startIndex
            while let range = text.range(of: literal, from: searchStart) {
                found.append((range, .custom))
                searchStart = range.upperBound
            }
        }
        // Keep the earliest of overlapping findings.
        found.sort { $0.range.lowerBound < $1.range.lowerBound || ($0.range.lowerBound == $1.range.lowerBound && $0.range.upperBound > $1.range.upperBound) }
        var kept: [(range: Range<String.Index>, kind: Kind)] = []
        for finding in found where kept.last.map({ finding.range.lowerBound >= $0.range.upperBound }) ?? true {
            kept.append(finding)
        }
        var output = ""
        var cursor = text.startIndex
        for finding in kept {
            output += text[cursor..<finding.range.lowerBound]
            let value = String(text[finding.range])
            let placeholder: String
            if let existing = numbering.placeholderFor[value] {
                placeholder = existing
            } else {
                numbering.counters[finding.kind, default: 0] += 1
                placeholder = "[\(finding.kind.rawValue)_\(numbering.counters[finding.kind]!)]"
                numbering.placeholderFor[value] = placeholder
                numbering.values[placeholder] = value
            }
            output += placeholder
            cursor = finding.range.upperBound
        }
        output += text[cursor...]
        return output
    }

    // MARK: - Finders

    private static func words(in text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace || "<>()[]{},;\"'".contains(character) {
                if let begin = start { ranges.append(trimmed(text, begin..<index)) }
                start = nil
            } else if start == nil {
                start = index
            }
            index = text.index(after: index)
        }
        if let begin = start { ranges.append(trimmed(text, begin..<text.endIndex)) }
        return ranges.filter { !$0.isEmpty }
    }

    private static func trimmed(_ text: String, _ range: Range<String.Index>) -> Range<String.Index> {
        var upper = range.upperBound
        while upper > range.lowerBound, ".:!?".contains(text[text.index(before: upper)]) { upper = text.index(before: upper) }
        return range.lowerBound..<upper
    }

    static func isEmail(_ word: Substring) -> Bool {
        guard let at = word.firstIndex(of: "@"), at != word.startIndex else { return false }
        let domain = word[word.index(after: at)...]
        guard let dot = domain.lastIndex(of: "."), dot != domain.startIndex, domain.distance(from: dot, to: domain.endIndex) >= 3 else { return false }
        return word[..<at].allSatisfy { $0.isLetter || $0.isNumber || "._%+-".contains($0) }
            && domain.allSatisfy { $0.isLetter || $0.isNumber || ".-".contains($0) }
    }

    /// Runs of digits joined by single spaces, dashes, dots or slashes (and IBANs: two letters, two
    /// digits, then letters and digits in groups), classified as card, IBAN or phone.
    private static func numberRuns(in text: String, words: [Range<String.Index>]) -> [(range: Range<String.Index>, kind: Kind)] {
        var results: [(Range<String.Index>, Kind)] = []
        var index = 0
        while index < words.count {
            // Grow a run over consecutive words that look like parts of one number. An IBAN may have
            // letters in its groups; it ends where the longest checksum-valid prefix ends.
            var end = index
            var compact = normalized(text[words[index]])
            guard !compact.isEmpty, compact.contains(where: \.isNumber) || isIBANStart(compact) else { index += 1; continue }
            let ibanMode = isIBANStart(compact)
            var longestIBAN: Int? = ibanMode && isIBAN(compact) ? index : nil
            while end + 1 < words.count, text[words[end].upperBound..<words[end + 1].lowerBound].allSatisfy({ $0 == " " }),
                  case let next = normalized(text[words[end + 1]]), !next.isEmpty, next.count <= 8,
                  next.allSatisfy({ $0.isNumber || (ibanMode && $0.isASCII && ($0.isLetter || $0.isNumber)) }),
                  // IBANs are written in groups of four, each with a digit ("013M"); "bitte" is not one.
                  !ibanMode || (next.count <= 4 && next.contains(where: \.isNumber)) {
                end += 1
                compact += next
                if ibanMode && isIBAN(compact) { longestIBAN = end }
            }
            if let last = longestIBAN {
                results.append((words[index].lowerBound..<words[last].upperBound, .iban))
                index = last + 1
                continue
            }
            if ibanMode {
                // IBAN-shaped but the checksum fails: a mistyped IBAN is still personal data. Hiding it
                // from the model costs nothing — the agent gets the real value back.
                if compact.count >= 15 && compact.count <= 34 {
                    results.append((words[index].lowerBound..<words[end].upperBound, .iban))
                    index = end + 1
                } else {
                    index += 1
                }
                continue
            }
            let range = words[index].lowerBound..<words[end].upperBound
            if compact.allSatisfy(\.isNumber) || (compact.first == "+" && compact.dropFirst().allSatisfy(\.isNumber)) {
                let digits = compact.filter(\.isNumber)
                if (13...19).contains(digits.count), luhn(digits) {
                    results.append((range, .card))
                } else if looksLikePhone(String(text[range]), digits: digits.count) {
                    results.append((range, .phone))
                } else {
                    index += 1
                    continue
                }
            } else {
                index += 1
                continue
            }
            index = end + 1
        }
        return results
    }

    /// A word without the separators numbers are written with.
    private static func normalized(_ word: Substring) -> String {
        String(word.filter { !"-./()".contains($0) })
    }

    private static func isIBANStart(_ text: String) -> Bool {
        let scalars = Array(text.uppercased())
        return scalars.count >= 4 && scalars[0].isLetter && scalars[1].isLetter && scalars[2].isNumber && scalars[3].isNumber && scalars[0].isASCII
    }

    static func isIBAN(_ compact: String) -> Bool {
        let value = compact.uppercased()
        guard isIBANStart(value), (15...34).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return false }
        let rearranged = value.dropFirst(4) + value.prefix(4)
        var remainder = 0
        for character in rearranged {
            let number = character.isNumber ? Int(String(character))! : Int(character.asciiValue! - 55)
            for digit in String(number) { remainder = (remainder * 10 + Int(String(digit))!) % 97 }
        }
        return remainder == 1
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (position, character) in digits.reversed().enumerated() {
            guard var digit = character.wholeNumberValue else { return false }
            if position % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// International (+ or 00) with 8–15 digits, or a national number written in groups.
    private static func looksLikePhone(_ written: String, digits: Int) -> Bool {
        if written.hasPrefix("+") || written.hasPrefix("00") { return (8...15).contains(digits) }
        let groups = written.split(whereSeparator: { " -./".contains($0) }).count
        return (9...12).contains(digits) && groups >= 2 && written.first == "0"
    }
}
