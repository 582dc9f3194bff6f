/// A parsed JSON value: what the decoder reads before it knows an event's shape, so that a missing
/// or mistyped field can be named precisely in a dead letter instead of surfacing as a decoding error.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A short name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var numberValue: Double? { if case .number(let number) = self { number } else { nil } }
    /// The number as an Int when it is a whole number Int can hold (never traps on 1e19).
    public var intValue: Int? { numberValue.flatMap { Int(exactly: $0) } }
    public var arrayValue: [JSONValue]? { if case .array(let elements) = self { elements } else { nil } }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}
