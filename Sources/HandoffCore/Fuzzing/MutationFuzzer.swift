/// A seeded generator of malformed and mutated records for the event decoder: the same seed gives
/// the same inputs, so a failure found once is found again.
///
/// It starts from valid records (the examples) and breaks them the ways real producers and bit rot
/// do: flipped and dropped bytes, truncation, splices of two records, invalid UTF-8, deep nesting,
/// huge numbers, fields of the wrong type, missing or extra envelope attributes, binary-mode headers.
public struct MutationFuzzer {
    private var state: UInt64
    private let corpus: [[UInt8]]

    public init(seed: UInt64, corpus: [[UInt8]]) {
        state = seed
        self.corpus = corpus.isEmpty ? [Array("{}".utf8)] : corpus
    }

    /// SplitMix64: small, fast, and the same on every platform.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    /// One input: the value and, sometimes, binary-mode headers.
    public mutating func input() -> (value: [UInt8], headers: [(String, [UInt8])]) {
        var value = corpus[below(corpus.count)]
        for _ in 0...below(3) { value = mutate(value) }
        var headers: [(String, [UInt8])] = []
        if below(8) == 0 {
            let keys = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"]
            let values = ["1.0", "0.3", "", "x", "support.message.customer", "support.agent.status", "2026-11-26T10:00:00Z", "application/json", "text/plain", "\u{0}"]
            for _ in 0...below(7) { headers.append((keys[below(keys.count)], Array(values[below(values.count)].utf8))) }
        }
        return (value, headers)
    }

    private static let tokens: [[UInt8]] = [
        "null", "true", "false", "0", "-0", "1e400", "-1e-400", "123456789012345678901234567890", "0.5", "\"\"", "\"x\"", "{}", "[]",
        "\"\\ud800\"", "\"\\u0000\"", "\"\\uDFFF\\uD800\"", ",", ":", "\"", "\\", "{\"a\":", "[1,", "\"specversion\":\"1.0\"", "\"data\":null",
        "\"type\":\"support.message.customer\"", "\"conversation_id\":\"", "\"text\":1", "\"sources\":[1]", "\"confidence\":2",
        "\"time\":\"yesterday\"", "\"helpful\":\"yes\"", "\"csat\":7", "\"locale\":\"??\"",
    ].map { Array($0.utf8) }

    private mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        switch below(12) {
        case 0 where !bytes.isEmpty:  // flip bits
            for _ in 0...below(4) { bytes[below(bytes.count)] ^= UInt8(truncatingIfNeeded: 1 << below(8)) }
        case 1 where !bytes.isEmpty:  // drop a range
            let start = below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(16)))
        case 2:  // truncate
            bytes = Array(bytes.prefix(below(bytes.count + 1)))
        case 3:  // insert a JSON-ish token
            bytes.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(bytes.count + 1))
        case 4:  // replace a range with a token
            let start = below(bytes.count + 1)
            let end = min(bytes.count, start + below(24))
            bytes.replaceSubrange(start..<end, with: Self.tokens[below(Self.tokens.count)])
        case 5:  // splice two records
            let other = corpus[below(corpus.count)]
            bytes = Array(bytes.prefix(below(bytes.count + 1))) + Array(other.suffix(below(other.count + 1)))
        case 6:  // invalid UTF-8 inside
            bytes.insert(contentsOf: [[0xC3], [0xFF, 0xFE], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]][below(4)], at: below(bytes.count + 1))
        case 7:  // deep nesting
            let depth = 10 + below(200)
            bytes = Array(repeating: UInt8(ascii: "["), count: depth) + bytes + Array(repeating: UInt8(ascii: "]"), count: below(depth + 1))
        case 8:  // a very long string field
            let long = Array(repeating: UInt8(ascii: "a"), count: 1000 + below(40_000))
            bytes.insert(contentsOf: Array("\"".utf8) + long + Array("\"".utf8), at: below(bytes.count + 1))
        case 9:  // duplicate a range
            if !bytes.isEmpty {
                let start = below(bytes.count)
                let range = Array(bytes[start..<min(bytes.count, start + 1 + below(64))])
                bytes.insert(contentsOf: range, at: below(bytes.count + 1))
            }
        case 10:  // random bytes
            bytes = (0..<below(200)).map { _ in UInt8(truncatingIfNeeded: next()) }
        default:  // swap a value for another type, keeping the structure valid
            if let colon = bytes.indices.filter({ bytes[$0] == UInt8(ascii: ":") }).randomElement(using: &self) {
                var end = colon + 1
                var depth = 0
                var inString = false
                while end < bytes.count {
                    let byte = bytes[end]
                    if inString { if byte == UInt8(ascii: "\"") && bytes[end - 1] != UInt8(ascii: "\\") { inString = false } }
                    else if byte == UInt8(ascii: "\"") { inString = true }
                    else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                    else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { if depth == 0 { break }; depth -= 1 }
                    else if byte == UInt8(ascii: ","), depth == 0 { break }
                    end += 1
                }
                bytes.replaceSubrange(colon + 1..<end, with: Self.tokens[below(13)])
            }
        }
        return bytes
    }
}

extension MutationFuzzer: RandomNumberGenerator {}
