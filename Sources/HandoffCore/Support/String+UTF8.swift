extension String {
    /// Whether every character is ASCII: then a character is a byte, and the text can be cut and
    /// measured as bytes instead of by Unicode's grapheme rules.
    var isASCII: Bool { utf8.allSatisfy { $0 < 0x80 } }

    /// The bytes as a string when they are valid UTF-8, else nil.
    ///
    /// ASCII, which nearly every key, id and name is, is taken as it is: `String(validating:as:)` is
    /// generic and looks up type metadata at run time on every call, which cost more than parsing the
    /// rest of a JSON string.
    public init?(utf8 bytes: ArraySlice<UInt8>) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            self = String(decoding: bytes, as: UTF8.self)
        } else if let text = String(validating: bytes, as: UTF8.self) {
            self = text
        } else {
            return nil
        }
    }
}
