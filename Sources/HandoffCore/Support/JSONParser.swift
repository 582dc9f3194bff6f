/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Foundation's decoders allocate heavily and report errors that cannot be shown to an operator;
/// this parser reads the bytes once and says where the input stopped being JSON.
public struct JSONParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var problem: String
        public var description: String { "\(problem) at byte \(offset)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private let maxDepth: Int

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document; trailing non-whitespace is an error.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index != bytes.count { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// An object's members in document order. A reader that looks up a few names in a small object
    /// (the event decoder) finds them faster in a list than a dictionary takes to build. A name given
    /// twice counts with its last value, as in ``JSONValue/object(_:)``.
    public struct Members: Sendable {
        public var pairs: [(name: String, value: JSONValue)]

        public subscript(name: String) -> JSONValue? {
            for pair in pairs.reversed() where pair.name == name { return pair.value }
            return nil
        }

        /// The members as an object value.
        public var object: JSONValue { .object(Dictionary(pairs, uniquingKeysWith: { $1 })) }
    }

    /// A document read for the event decoder: an object as its members, with the object value of the
    /// member `nested` as members too (the value in `members` then stands for it as an empty object);
    /// any other document as a value.
    public enum Document {
        case object(Members, nested: Members?)
        case value(JSONValue)
    }

    /// Parses one JSON document like ``parse(_:maxDepth:)``, with the same failures, into a ``Document``.
    /// - Parameter keeping: the names of the nested object's members to keep; the others are checked
    ///   the same way but not built (a reader that needs a few members of a large object). nil keeps all.
    public static func parseDocument(_ bytes: [UInt8], nested: String?, keeping: Set<String>? = nil, maxDepth: Int = 64) throws(Failure) -> Document {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let document: Document
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") {
            let (members, inner) = try parser.parseMembers(nested: nested, nestedKeeping: keeping)
            document = .object(members, nested: inner)
        } else {
            document = .value(try parser.parseValue())
        }
        parser.skipWhitespace()
        if parser.index != bytes.count { throw parser.fail("unexpected data after the JSON value") }
        return document
    }

    private func fail(_ problem: String) -> Failure { Failure(offset: index, problem: problem) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(Failure) {
        for expected in literal.utf8 {
            guard index < bytes.count else { throw fail("unexpected end of input") }
            guard bytes[index] == expected else { throw fail("invalid literal") }
            index += 1
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        // Room for a CloudEvents envelope or its data without growing (each growth hashes every key again).
        var members: [String: JSONValue] = Dictionary(minimumCapacity: 12)
        guard try openObject() else { return .object(members) }
        repeat {
            let key = try parseMemberName()
            members[key] = try parseValue()
        } while try nextMember()
        return .object(members)
    }

    /// ``parseObject()`` into a list of the members named in `keeping` (all when nil); the object value
    /// of member `nested` read the same way, keeping those named in `nestedKeeping`.
    private mutating func parseMembers(nested: String?, nestedKeeping: Set<String>? = nil, keeping: Set<String>? = nil) throws(Failure) -> (Members, nested: Members?) {
        try enter()
        defer { depth -= 1 }
        var pairs: [(name: String, value: JSONValue)] = []
        pairs.reserveCapacity(12)
        var inner: Members?
        guard try openObject() else { return (Members(pairs: pairs), nil) }
        repeat {
            let key = try parseMemberName()
            if let keeping, !keeping.contains(key) {
                try skipValue()
            } else if let nested, key == nested {
                if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    inner = try parseMembers(nested: nil, keeping: nestedKeeping).0
                    pairs.append((key, .object([:])))
                } else {
                    inner = nil
                    pairs.append((key, try parseValue()))
                }
            } else {
                pairs.append((key, try parseValue()))
            }
        } while try nextMember()
        return (Members(pairs: pairs), inner)
    }

    /// Steps past an object's `{`; false when the object is empty (its `}` is passed too).
    private mutating func openObject() throws(Failure) -> Bool {
        index += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { return true }
        index += 1
        return false
    }

    /// Reads `"name" :` and the whitespace after it; the member's value comes next.
    private mutating func parseMemberName() throws(Failure) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        index += 1
        skipWhitespace()
        return key
    }

    /// After a member's value: true when another member follows its `,`, false after the object's `}`.
    private mutating func nextMember() throws(Failure) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input in an object") }
        if bytes[index] == UInt8(ascii: ",") { index += 1; return true }
        if bytes[index] == UInt8(ascii: "}") { index += 1; return false }
        throw fail("expected ',' or '}'")
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        var elements: [JSONValue] = []
        try readElements { parser throws(Failure) in elements.append(try parser.parseValue()) }
        return .array(elements)
    }

    /// Steps through an array from its `[` past its `]`, `element` reading each element.
    private mutating func readElements(_ element: (inout JSONParser) throws(Failure) -> Void) throws(Failure) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return }
            throw fail("expected ',' or ']'")
        }
    }

    /// Steps over one value with the checks of ``parseValue()``, building no object, array or plain
    /// ASCII string (a string with an escape or other UTF-8 is parsed, to check it).
    private mutating func skipValue() throws(Failure) {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try enter()
            defer { depth -= 1 }
            guard try openObject() else { return }
            repeat {
                _ = try parseMemberName()
                try skipValue()
            } while try nextMember()
        case UInt8(ascii: "["):
            try readElements { parser throws(Failure) in try parser.skipValue() }
        case UInt8(ascii: "\""):
            var end = index + 1
            while end < bytes.count, (0x20..<0x80).contains(bytes[end]), bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") { index = end + 1 } else { _ = try parseString() }
        default:
            _ = try parseValue()
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[start..<index]
                index += 1
                guard let text = String(utf8: slice) else {
                    throw Failure(offset: start, problem: "invalid UTF-8 in a string")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            index += 1
        }
        var buffer = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(utf8: buffer[...]) else {
                    throw Failure(offset: start, problem: "invalid UTF-8 in a string")
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unexpected end of input in a string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a string")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate in a string")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid unicode escape") }
                    buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw fail("invalid escape in a string")
                }
            default:
                if byte < 0x20 { throw fail("control character in a string") }
                buffer.append(byte)
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unexpected end of input in a unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in a unicode escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> Double {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw fail("unexpected end of input in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        } else {
            throw fail("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == digits { throw fail("invalid number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == digits { throw fail("invalid number") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw Failure(offset: start, problem: "number out of range") }
        return value
    }
}
