/// Text folded for matching: lower case, Latin diacritics removed (ä→a, ß→ss, č→c), split into
/// word tokens of letters and digits. Everything that reads customer or bot text starts here.
public struct NormalizedText: Sendable {
    /// The original text.
    public let original: String
    /// The word tokens, folded.
    public let tokens: [String]

    public init(_ text: String) {
        original = text
        tokens = Self.tokenize(text)
    }

    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in text.unicodeScalars {
            if let folded = fold(scalar) {
                current.append(contentsOf: folded.unicodeScalars)
            } else if scalar == "'" || scalar == "’" {
                // "don't" → "dont", "l'agent" → "l", "agent" is worse; keep the apostrophe out of the token.
                continue
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// Lower-cased ASCII for letters and digits (folding the Latin letters of our eight languages),
    /// other letters lower-cased as they are, nil for separators.
    static func fold(_ scalar: Unicode.Scalar) -> String? {
        let value = scalar.value
        if (0x30...0x39).contains(value) || (0x61...0x7A).contains(value) { return String(scalar) }
        if (0x41...0x5A).contains(value) { return String(Unicode.Scalar(value + 32)!) }
        if value < 0x80 { return nil }
        if let mapped = foldTable[scalar] { return mapped }
        let properties = scalar.properties
        if properties.isAlphabetic { return properties.lowercaseMapping }
        return nil
    }

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
        table["æ"] = "ae"; table["Æ"] = "ae"
        table["œ"] = "oe"; table["Œ"] = "oe"
        return table
    }()

    /// The folded tokens joined by single spaces, with a space at both ends, for phrase look-ups.
    public var joined: String { " " + tokens.joined(separator: " ") + " " }
}
