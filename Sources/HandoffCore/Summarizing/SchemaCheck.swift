/// Checks a JSON value against the part of JSON Schema our output schemas use: `type`, `properties`,
/// `required`, `additionalProperties: false`, `items`, `maxItems`, `maxLength`, `enum` and `pattern`
/// (anchored, with literals, `[a-z0-9]` classes and `{m,n}` counts). Anything a model returns passes
/// through here before it is believed.
public enum SchemaCheck {
    /// The first few violations, each with its JSON path; empty when the value conforms.
    public static func violations(of value: JSONValue, against schema: JSONValue, path: String = "$", limit: Int = 5) -> [String] {
        var found: [String] = []
        check(value, schema, path, &found, limit)
        return found
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ found: inout [String], _ limit: Int) {
        guard found.count < limit else { return }
        if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            found.append("\(path): expected \(type), got \(value.typeName)")
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            found.append("\(path): \(describe(value)) is not one of \(allowed.compactMap(\.stringValue).joined(separator: ", "))")
        }
        switch value {
        case .string(let text):
            if let maximum = schema["maxLength"]?.intValue, text.unicodeScalars.count > maximum {
                found.append("\(path): longer than \(maximum) characters")
            }
            if let pattern = schema["pattern"]?.stringValue, !AnchoredPattern(pattern).matches(text) {
                found.append("\(path): \(describe(value)) does not match \(pattern)")
            }
        case .array(let elements):
            if let maximum = schema["maxItems"]?.intValue, elements.count > maximum {
                found.append("\(path): more than \(maximum) items")
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() { check(element, items, "\(path)[\(index)]", &found, limit) }
            }
        case .object(let members):
            let properties = schema["properties"]
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                found.append("\(path): \(name) is missing")
            }
            for name in members.keys.sorted() {
                if let property = properties?[name] {
                    check(members[name]!, property, "\(path).\(name)", &found, limit)
                } else if schema["additionalProperties"] == .bool(false) {
                    found.append("\(path): \(name) is not allowed")
                }
            }
        default:
            break
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        let text = JSONWriter.string(value)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

/// The anchored patterns our schemas use (`^m[0-9]{1,3}$`, `^[a-z]{2}$`): a sequence of literals and
/// character classes, each optionally counted with `{n}` or `{m,n}`.
struct AnchoredPattern {
    private struct Piece {
        var accepts: (Unicode.Scalar) -> Bool
        var minimum: Int
        var maximum: Int
    }
    private var pieces: [Piece] = []
    private var valid = true

    init(_ pattern: String) {
        var scalars = Array(pattern.unicodeScalars)
        guard scalars.first == "^", scalars.last == "$" else { valid = false; return }
        scalars = Array(scalars.dropFirst().dropLast())
        var index = 0
        while index < scalars.count {
            var piece: Piece
            if scalars[index] == "[" {
                guard let close = scalars[index...].firstIndex(of: "]") else { valid = false; return }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var cursor = index + 1
                while cursor < close {
                    if cursor + 2 < close, scalars[cursor + 1] == "-" {
                        ranges.append(scalars[cursor]...scalars[cursor + 2])
                        cursor += 3
                    } else {
                        ranges.append(scalars[cursor]...scalars[cursor])
                        cursor += 1
                    }
                }
                piece = Piece(accepts: { scalar in ranges.contains { $0.contains(scalar) } }, minimum: 1, maximum: 1)
                index = close + 1
            } else {
                let literal = scalars[index]
                piece = Piece(accepts: { $0 == literal }, minimum: 1, maximum: 1)
                index += 1
            }
            if index < scalars.count, scalars[index] == "{", let close = scalars[index...].firstIndex(of: "}") {
                let counts = String(String.UnicodeScalarView(scalars[(index + 1)..<close])).split(separator: ",", omittingEmptySubsequences: false)
                guard let minimum = Int(counts[0]), let maximum = counts.count > 1 ? Int(counts[1]) : minimum else { valid = false; return }
                piece.minimum = minimum
                piece.maximum = maximum
                index = close + 1
            }
            pieces.append(piece)
        }
    }

    func matches(_ text: String) -> Bool {
        guard valid else { return false }
        let scalars = Array(text.unicodeScalars)
        var position = 0
        for piece in pieces {
            var count = 0
            while count < piece.maximum, position < scalars.count, piece.accepts(scalars[position]) {
                count += 1
                position += 1
            }
            if count < piece.minimum { return false }
        }
        return position == scalars.count
    }
}
