/// Text folded for matching: lower case, Latin diacritics removed (ä→a, ß→ss, č→c), split into
/// word tokens of letters and digits. Everything that reads customer or bot text starts here.
public struct NormalizedText: Sendable {
    /// The original text.
    public let original: String
    /// The word tokens, folded.
    public let tokens: [String]
    /// Each token's bit in a lexicon's ``TokenFilter``, and that of its first three letters (-1 when it
    /// has fewer): worked out once here, for every lexicon the text is matched against.
    let filterBits: [(token: Int, prefix: Int)]

    public init(_ text: String) {
        original = text
        tokens = Self.tokenize(text)
        filterBits = tokens.map { token in
            (TokenFilter.bit(token.utf8), Self.has(token, atLeast: 3) ? TokenFilter.bit(Self.prefix(token, 3).utf8) : -1)
        }
    }

    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        func flush() {
            if !current.isEmpty {
                tokens.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        // "don't" → "dont" (English contractions stay one word); "l'argent" → "l", "argent" (French and
        // Italian elisions are two words).
        func apostrophe() {
            if elisions.contains(current) { flush() }
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            // ASCII first: most text is, and it needs no table.
            if value < 0x80 {
                switch value {
                case 0x30...0x39, 0x61...0x7A: current.append(UInt8(value))
                case 0x41...0x5A: current.append(UInt8(value + 32))
                case 0x27: apostrophe()
                default: flush()
                }
            } else if scalar == "’" {
                apostrophe()
            } else if scalar.properties.generalCategory == .nonspacingMark {
                // Combining marks (decomposed "ü" = "u" + U+0308) fold away like precomposed letters.
                continue
            } else if let folded = fold(scalar) {
                current.append(contentsOf: folded.utf8)
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// The folded form of a non-ASCII letter (Latin letters of our eight languages to ASCII, other
    /// letters lower-cased as they are), nil for separators.
    static func fold(_ scalar: Unicode.Scalar) -> String? {
        if let mapped = foldTable[scalar] { return mapped }
        let properties = scalar.properties
        if properties.isAlphabetic { return properties.lowercaseMapping }
        return nil
    }

    private static let elisions: Set<[UInt8]> = Set(
        ["l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "un", "dell", "all", "nell", "dall", "sull", "quest", "quell"]
            .map { Array($0.utf8) }
    )

    private static let foldTable: [Unicode.Scalar: String] = {
        var table: [Unicode.Scalar: String] = [:]
        let groups: [(String, String)] = [
            ("àáâãäåāăąÀÁÂÃÄÅĀĂĄ", "a"), ("çćčÇĆČ", "c"), ("ďđĎĐ", "d"), ("èéêëēĕėęěÈÉÊËĒĔĖĘĚ", "e"),
            ("ìíîïīĭįıÌÍÎÏĪĬĮİ", "i"), ("ñńňÑŃŇ", "n"), ("òóôõöøōŏőÒÓÔÕÖØŌŎŐ", "o"), ("ŕřŔŘ", "r"),
            ("śšşŚŠŞ", "s"), ("ťţŤŢ", "t"), ("ùúûüūŭůűųÙÚÛÜŪŬŮŰŲ", "u"), ("ýÿÝŸ", "y"), ("źżžŹŻŽ", "z"),
            ("ľĺłĽĹŁ", "l"), ("ğĞ", "g"),
        ]
        for (letters, ascii) in groups {
            for scalar in letters.unicodeScalars { table[scalar] = ascii }
        }
        table["ß"] = "ss"
        table["ẞ"] = "ss"
        table["æ"] = "ae"; table["Æ"] = "ae"
        table["œ"] = "oe"; table["Œ"] = "oe"
        return table
    }()

    /// The folded tokens joined by single spaces, with a space at both ends, for phrase look-ups.
    public var joined: String { " " + tokens.joined(separator: " ") + " " }

    // Tokens are mostly ASCII, where a character is a byte: only the others need Unicode's grapheme
    // rules, which cost more than the look-ups they serve.

    /// Whether a token has at least `count` characters.
    static func has(_ token: String, atLeast count: Int) -> Bool {
        if token.utf8.count < count { return false }
        return token.isASCII || token.count >= count
    }

    /// A token's first `count` characters (all of it when it is shorter).
    static func prefix(_ token: String, _ count: Int) -> String {
        token.isASCII ? String(Substring(token.utf8.prefix(count))) : String(token.prefix(count))
    }
}
