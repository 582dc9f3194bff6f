/// Where a record came from, so a dead letter says where to find the original.
public struct RecordOrigin: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Builds `support.deadletter` events: the original bytes (base64, truncated), their length and
/// sha256, where they came from and why they were refused.
public enum DeadLetter {
    public static func event(failure: DecodeFailure, value: [UInt8], key: [UInt8]?, origin: RecordOrigin, maxOriginalBytes: Int, now: Timestamp) -> OutputEvent {
        let kept = value.count > maxOriginalBytes ? Array(value.prefix(maxOriginalBytes)) : value
        var data: [String: JSONValue] = [
            "reason_code": .string(failure.code.rawValue),
            "reason": .string(failure.reason),
            "source_topic": .string(origin.topic),
            "partition": .number(Double(origin.partition)),
            "offset": .number(Double(origin.offset)),
            "original_base64": .string(Base64.encode(kept)),
            "original_length": .number(Double(value.count)),
            "original_sha256": .string(SHA256.hex(value)),
            "truncated": .bool(kept.count < value.count),
            "received_at": .string(now.rfc3339),
        ]
        if let type = failure.eventType { data["event_type"] = .string(type) }
        let keyText = key.flatMap { String(utf8: $0[...]) }
        if let keyText { data["key"] = .string(keyText) }
        return OutputEvent(channel: .deadLetter, key: keyText, id: "dl/\(origin.topic)/\(origin.partition)/\(origin.offset)",
                           type: EventType.deadLetter, subject: nil, time: now, data: .object(data))
    }
}
