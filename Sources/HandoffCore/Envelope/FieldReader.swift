/// Reads typed fields out of a JSON object and names the exact field when one is missing or mistyped.
struct FieldReader {
    let object: JSONParser.Members
    /// Where the object sits in the event (`data`, the envelope, …), for messages.
    let path: String
    let eventType: String?
    let limits: DecodingLimits

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func failure(_ code: DecodeFailure.Code, _ reason: String) -> DecodeFailure {
        DecodeFailure(code, reason, eventType: eventType)
    }

    func string(_ key: String, maxLength: Int? = nil) throws(DecodeFailure) -> String {
        guard let value = object[key], value != .null else {
            throw failure(.missingField, "required field '\(name(key))' is missing")
        }
        return try string(value, key: key, maxLength: maxLength)
    }

    func optionalString(_ key: String, maxLength: Int? = nil) throws(DecodeFailure) -> String? {
        guard let value = object[key], value != .null else { return nil }
        return try string(value, key: key, maxLength: maxLength)
    }

    private func string(_ value: JSONValue, key: String, maxLength: Int?) throws(DecodeFailure) -> String {
        guard case .string(let text) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be a string, got \(value.typeName)")
        }
        let limit = maxLength ?? limits.maxIDLength
        // Lengths count Unicode code points, as JSON Schema's maxLength does.
        if text.utf8.count > limit && text.unicodeScalars.count > limit {
            throw failure(.tooLarge, "field '\(name(key))' is longer than \(limit) characters")
        }
        return text
    }

    /// An identifier: a non-empty string of bounded length.
    func id(_ key: String) throws(DecodeFailure) -> String {
        let text = try string(key)
        if text.isEmpty { throw failure(.invalidValue, "field '\(name(key))' must not be empty") }
        return text
    }

    func optionalID(_ key: String) throws(DecodeFailure) -> String? {
        guard let text = try optionalString(key) else { return nil }
        if text.isEmpty { throw failure(.invalidValue, "field '\(name(key))' must not be empty") }
        return text
    }

    func text(_ key: String) throws(DecodeFailure) -> String {
        try string(key, maxLength: limits.maxTextLength)
    }

    func bool(_ key: String) throws(DecodeFailure) -> Bool {
        guard let value = object[key], value != .null else {
            throw failure(.missingField, "required field '\(name(key))' is missing")
        }
        guard case .bool(let flag) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be a boolean, got \(value.typeName)")
        }
        return flag
    }

    func optionalBool(_ key: String) throws(DecodeFailure) -> Bool? {
        guard object[key] != nil, object[key] != .null else { return nil }
        return try bool(key)
    }

    func optionalNumber(_ key: String, in range: ClosedRange<Double>) throws(DecodeFailure) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be a number, got \(value.typeName)")
        }
        guard range.contains(number) else {
            throw failure(.invalidValue, "field '\(name(key))' must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(DecodeFailure) -> Int? {
        guard let number = try optionalNumber(key, in: Double(range.lowerBound)...Double(range.upperBound)) else { return nil }
        guard let integer = Int(exactly: number) else {
            throw failure(.wrongType, "field '\(name(key))' must be an integer, got \(number)")
        }
        return integer
    }

    func stringArray(_ key: String, required: Bool) throws(DecodeFailure) -> [String] {
        guard let value = object[key], value != .null else {
            if required { throw failure(.missingField, "required field '\(name(key))' is missing") }
            return []
        }
        guard case .array(let elements) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be an array of strings, got \(value.typeName)")
        }
        if elements.count > limits.maxArrayLength {
            throw failure(.tooLarge, "field '\(name(key))' has more than \(limits.maxArrayLength) elements")
        }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw failure(.wrongType, "field '\(name(key))[\(position)]' must be a string, got \(element.typeName)")
            }
            if text.isEmpty { throw failure(.invalidValue, "field '\(name(key))[\(position)]' must not be empty") }
            if text.utf8.count > limits.maxIDLength && text.unicodeScalars.count > limits.maxIDLength {
                throw failure(.tooLarge, "field '\(name(key))[\(position)]' is longer than \(limits.maxIDLength) characters")
            }
            strings.append(text)
        }
        return strings
    }

    func enumeration<Value: RawRepresentable>(_ key: String, as type: Value.Type, allowed: [String]) throws(DecodeFailure) -> Value
    where Value.RawValue == String {
        let raw = try string(key)
        guard let value = Value(rawValue: raw) else {
            throw failure(.invalidValue, "field '\(name(key))' must be one of \(allowed.joined(separator: ", ")), got '\(raw)'")
        }
        return value
    }

    func optionalStringMap(_ key: String) throws(DecodeFailure) -> [String: String] {
        guard let value = object[key], value != .null else { return [:] }
        guard case .object(let members) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be an object of strings, got \(value.typeName)")
        }
        var map: [String: String] = [:]
        for (member, element) in members {
            guard case .string(let text) = element else {
                throw failure(.wrongType, "field '\(name(key)).\(member)' must be a string, got \(element.typeName)")
            }
            if member.isEmpty || member.unicodeScalars.count > limits.maxIDLength {
                throw failure(.invalidValue, "field '\(name(key))' has a key that is empty or longer than \(limits.maxIDLength) characters")
            }
            if text.unicodeScalars.count > limits.maxTextLength {
                throw failure(.tooLarge, "field '\(name(key)).\(member)' is longer than \(limits.maxTextLength) characters")
            }
            map[member] = text
        }
        return map
    }

    /// An optional array of `{start, end}` RFC 3339 instants, each end after its start, at most 20.
    func optionalWindows(_ key: String) throws(DecodeFailure) -> [CallbackSlot] {
        guard let value = object[key], value != .null else { return [] }
        guard case .array(let elements) = value else {
            throw failure(.wrongType, "field '\(name(key))' must be an array of {start, end} objects, got \(value.typeName)")
        }
        if elements.count > 20 { throw failure(.tooLarge, "field '\(name(key))' has more than 20 windows") }
        var windows: [CallbackSlot] = []
        for (position, element) in elements.enumerated() {
            guard case .object(let members) = element,
                  let start = members["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
                  let end = members["end"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else {
                throw failure(.invalidValue, "field '\(name(key))[\(position)]' must be {\"start\": RFC 3339, \"end\": RFC 3339}")
            }
            guard end > start else { throw failure(.invalidValue, "field '\(name(key))[\(position)]' ends before it starts") }
            windows.append(CallbackSlot(start: start, end: end))
        }
        return windows
    }
}
