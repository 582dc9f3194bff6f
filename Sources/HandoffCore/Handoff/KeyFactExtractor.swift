/// Finds order and invoice numbers, amounts, dates, e-mail addresses, phone numbers, error and
/// tracking codes in customer text, and returns each exactly as written.
public struct KeyFactExtractor: Sendable {
    public init() {}

    struct Word {
        var text: Substring
        /// Lower-cased, without accents or punctuation: computed only for the few words near a candidate.
        var folded: String { NormalizedText.tokenize(String(text)).joined() }

        /// Whether a fact can start at this word. Every fact needs a number, an @, an underscore (an
        /// error code), a + (a phone number) or a currency symbol in its first word; most words have none,
        /// and are passed over without the checks below. ASCII bytes are looked at first; a word with
        /// other bytes and none of those is read as characters (other digits, €, £, ¥).
        var mayStartFact: Bool {
            var ascii = true
            for byte in text.utf8 {
                if (0x30...0x39).contains(byte) || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "$") {
                    return true
                }
                if byte >= 0x80 { ascii = false }
            }
            return !ascii && text.contains { $0.isNumber || KeyFactExtractor.currencySymbols.contains($0) }
        }
    }

    private static let orderWords: Set<String> = ["order", "orders", "bestellung", "bestellnummer", "commande", "pedido", "ordine", "bestelling", "encomenda", "objednavka", "objednavky", "objednavku", "auftrag"]
    private static let invoiceWords: Set<String> = ["invoice", "rechnung", "rechnungsnummer", "facture", "factura", "fattura", "factuur", "fatura", "faktura", "faktury", "bill", "receipt"]
    private static let trackingWords: Set<String> = ["tracking", "sendungsnummer", "trackingcode", "zasilka", "sendungsverfolgung", "suivi", "seguimiento", "tracciamento", "rastreio", "rastreamento", "zasilky", "trackingnummer"]
    private static let currencyWords: Set<String> = ["eur", "euro", "euros", "usd", "gbp", "czk", "kc", "chf", "dollars", "dolares", "reais", "brl", "pounds"]
    private static let currencySymbols: Set<Character> = ["€", "$", "£", "¥"]

    public func extract(from text: String, messageID: String) -> [Summary.KeyFact] {
        extract(from: text, messageID: messageID, everyWord: false)
    }

    /// - Parameter everyWord: every word takes the checks, also one that ``Word/mayStartFact`` passes over (for tests).
    func extract(from text: String, messageID: String, everyWord: Bool) -> [Summary.KeyFact] {
        // Every fact has a digit or an @ in it; most messages have neither, and skip the work.
        guard text.utf8.contains(where: { (0x30...0x39).contains($0) || $0 == UInt8(ascii: "@") }) else { return [] }
        let words = Self.words(in: text)
        var facts: [Summary.KeyFact] = []
        var index = 0
        while index < words.count {
            guard everyWord || words[index].mayStartFact else {
                index += 1
                continue
            }
            let word = words[index].text
            let context = words[max(0, index - 3)..<index].map(\.folded)
            if let (value, consumed) = amount(words, index, in: text) {
                facts.append(.init(kind: .amount, value: value, messageID: messageID))
                index += consumed
                continue
            }
            if let (value, consumed) = Self.groupedPhone(words, index, in: text) {
                facts.append(.init(kind: .phone, value: value, messageID: messageID))
                index += consumed
                continue
            }
            if context.contains(where: Self.trackingWords.contains), Self.isIdentifier(word) {
                facts.append(.init(kind: .trackingNumber, value: String(word), messageID: messageID))
            } else if word.contains("@"), word.dropFirst().contains("."), !word.hasPrefix("@") {
                facts.append(.init(kind: .email, value: String(word), messageID: messageID))
            } else if Self.isDate(word) {
                facts.append(.init(kind: .date, value: String(word), messageID: messageID))
            } else if Self.isPhone(word) {
                facts.append(.init(kind: .phone, value: String(word), messageID: messageID))
            } else if Self.isErrorCode(word) {
                facts.append(.init(kind: .errorCode, value: String(word), messageID: messageID))
            } else if Self.isIdentifier(word) {
                let kind: Summary.KeyFact.Kind
                let upper = word.uppercased()
                if context.contains(where: Self.trackingWords.contains) { kind = .trackingNumber }
                else if context.contains(where: Self.invoiceWords.contains) || upper.hasPrefix("INV") || upper.hasPrefix("RE-") { kind = .invoiceNumber }
                else if context.contains(where: Self.orderWords.contains) || word.hasPrefix("#") { kind = .orderNumber }
                else { kind = .other }
                facts.append(.init(kind: kind, value: String(word), messageID: messageID))
            }
            index += 1
        }
        var seen = Set<String>()
        return facts.filter { seen.insert($0.value).inserted }
    }

    static func words(in text: String) -> [Word] {
        // Most messages are ASCII: split and trim their bytes, not their grapheme clusters (same words).
        guard text.isASCII else { return unicodeWords(in: text) }
        let utf8 = text.utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var words: [Word] = []
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard !isSpace(utf8[index]) else {
                index = utf8.index(after: index)
                continue
            }
            var start = index
            while index < utf8.endIndex, !isSpace(utf8[index]) { index = utf8.index(after: index) }
            var end = index
            while start < end, isTrailingPunctuation(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
            while start < end, isLeadingPunctuation(utf8[start]) { start = utf8.index(after: start) }
            words.append(Word(text: text[start..<end]))
        }
        return words
    }

    /// The ASCII characters of the trimmed sets of ``unicodeWords(in:)``.
    private static func isTrailingPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: ")"),
             UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"), UInt8(ascii: ">"): true
        default: false
        }
    }

    private static func isLeadingPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["), UInt8(ascii: "<"): true
        default: false
        }
    }

    static func unicodeWords(in text: String) -> [Word] {
        text.split(whereSeparator: { $0.isWhitespace }).map { raw in
            var slice = raw
            while let last = slice.last, ".,;:!?)\"'»“”]>".contains(last) { slice = slice.dropLast() }
            while let first = slice.first, "(\"'«“„[<".contains(first) { slice = slice.dropFirst() }
            return Word(text: slice)
        }
    }

    private func amount(_ words: [Word], _ index: Int, in text: String) -> (String, Int)? {
        let word = words[index].text
        guard word.contains(where: \.isNumber) || Self.currencySymbols.contains(word.last ?? " ") || Self.currencySymbols.contains(word.first ?? " ") else { return nil }
        let stripped = word.filter { !Self.currencySymbols.contains($0) }
        let isNumber = !stripped.isEmpty && stripped.allSatisfy { $0.isNumber || $0 == "." || $0 == "," } && stripped.contains(where: \.isNumber)
        if isNumber, stripped.count < word.count { return (String(word), 1) }
        if isNumber, index + 1 < words.count {
            let next = words[index + 1]
            if next.text.count == 1, let symbol = next.text.first, Self.currencySymbols.contains(symbol) || Self.currencyWords.contains(next.folded) {
                return (String(text[word.startIndex..<next.text.endIndex]), 2)
            }
            if Self.currencyWords.contains(next.folded) { return (String(text[word.startIndex..<next.text.endIndex]), 2) }
        }
        if word.count == 1, let symbol = word.first, Self.currencySymbols.contains(symbol), index + 1 < words.count {
            let next = words[index + 1].text
            if !next.isEmpty, next.allSatisfy({ $0.isNumber || $0 == "." || $0 == "," }) { return (String(text[word.startIndex..<next.endIndex]), 2) }
        }
        if isNumber, index > 0, Self.currencyWords.contains(words[index - 1].folded) {
            return (String(text[words[index - 1].text.startIndex..<word.endIndex]), 1)
        }
        return nil
    }

    private static func isDate(_ word: Substring) -> Bool {
        let parts = word.split(whereSeparator: { $0 == "-" || $0 == "." || $0 == "/" })
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return false }
        let lengths = parts.map(\.count)
        return (lengths[0] == 4 && lengths[1] <= 2 && lengths[2] <= 2) || (lengths[0] <= 2 && lengths[1] <= 2 && (lengths[2] == 4 || lengths[2] == 2))
    }

    /// "+420 123 456 789", "0049 170 1234567": an international prefix and groups of digits.
    private static func groupedPhone(_ words: [Word], _ index: Int, in text: String) -> (String, Int)? {
        let first = words[index].text
        guard first.hasPrefix("+") || first.hasPrefix("00"), first.dropFirst().allSatisfy(\.isNumber), first.count <= 5 else { return nil }
        var end = index
        var digits = first.filter(\.isNumber).count
        while end + 1 < words.count, !words[end + 1].text.isEmpty, words[end + 1].text.allSatisfy(\.isNumber), words[end + 1].text.count <= 8 {
            end += 1
            digits += words[end].text.count
        }
        guard end > index, (9...15).contains(digits) else { return nil }
        return (String(text[first.startIndex..<words[end].text.endIndex]), end - index + 1)
    }

    private static func isPhone(_ word: Substring) -> Bool {
        guard word.hasPrefix("+") || word.hasPrefix("00") else { return false }
        let digits = word.filter(\.isNumber).count
        return digits >= 9 && word.allSatisfy { $0.isNumber || "+-/() ".contains($0) }
    }

    private static func isErrorCode(_ word: Substring) -> Bool {
        let upper = word.uppercased()
        if word.contains("_"), word.contains(where: \.isLetter), word == upper { return true }
        if upper.hasPrefix("0X"), word.count >= 6, word.dropFirst(2).allSatisfy(\.isHexDigit) { return true }
        for prefix in ["ERR", "ERROR", "E"] where upper.hasPrefix(prefix) {
            let rest = upper.dropFirst(prefix.count).drop { $0 == "-" || $0 == "_" }
            if rest.count >= 3, rest.allSatisfy(\.isNumber), word == upper { return true }
        }
        return false
    }

    /// A reference number: digits with letters or separators, or a long run of digits.
    private static func isIdentifier(_ word: Substring) -> Bool {
        let body = word.hasPrefix("#") ? word.dropFirst() : word
        let digits = body.filter(\.isNumber).count
        guard digits >= 3, body.count >= 4, body.count <= 40 else { return false }
        guard body.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "/" || $0 == "_" }) else { return false }
        let letters = body.filter(\.isLetter).count
        if letters == 0 { return digits >= 5 || word.hasPrefix("#") }
        return letters <= digits + 4 || body.contains("-")
    }
}
