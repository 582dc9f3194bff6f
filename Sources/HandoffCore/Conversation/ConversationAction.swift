/// What the owner of a conversation must do after the machine handled an event.
public enum ConversationAction: Sendable, Equatable {
    /// Publish this event.
    case emit(OutputEvent)
    /// The event was valid but changed nothing (e.g. it named another handoff); say why in the log.
    case ignored(String)
    /// The event was applied before (a re-delivery after a crash, or a frontend's retry): nothing to do, nothing to count.
    case redelivered
}

/// An event the broker publishes, fully formed except for serialisation.
public struct OutputEvent: Sendable, Equatable {
    public enum Channel: String, Sendable { case handoffs, directives, deadLetter, alerts, callbacks }
    public var channel: Channel
    /// The Kafka key (the conversation id for conversation outputs).
    public var key: String?
    /// Deterministic CloudEvents `id`.
    public var id: String
    public var type: String
    public var subject: String?
    public var time: Timestamp
    public var data: JSONValue
    /// Recorded as the CloudEvents extension `policyversion` on decisions.
    public var policyVersion: String?

    public init(channel: Channel, key: String?, id: String, type: String, subject: String?, time: Timestamp, data: JSONValue, policyVersion: String? = nil) {
        self.channel = channel
        self.key = key
        self.id = id
        self.type = type
        self.subject = subject
        self.time = time
        self.data = data
        self.policyVersion = policyVersion
    }

    /// The structured-mode CloudEvents envelope, serialised: members in key order, written straight
    /// into bytes (every output goes through here; only `data` is a tree).
    public func envelopeBytes(source: String) -> [UInt8] {
        var out = JSONStreamWriter(capacity: 512)
        out.beginObject()
        out.key("data"); out.value(data)
        out.key("datacontenttype"); out.string("application/json")
        out.key("id"); out.string(id)
        if let policyVersion { out.key("policyversion"); out.string(policyVersion) }
        out.key("source"); out.string(source)
        out.key("specversion"); out.string("1.0")
        if let subject { out.key("subject"); out.string(subject) }
        out.key("time"); out.string(time.rfc3339)
        out.key("type"); out.string(type)
        out.endObject()
        return out.bytes
    }
}
