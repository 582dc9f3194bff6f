/// Turns the bytes of one Kafka record into a validated event, or says exactly why it cannot.
///
/// Accepts CloudEvents 1.0 in structured JSON mode (the whole envelope in the value) and in Kafka
/// binary content mode (`ce_*` headers, the value is `data`).
public struct EventDecoder: Sendable {
    public enum Outcome: Sendable, Equatable {
        // Boxed: an outcome is handed from the decoding slices to the loop, and a copy of a boxed event is one retain.
        indirect case conversation(ConversationEvent)
        case agentStatus(AgentStatus)
        case customerErase(CustomerErase)
        /// A well-formed CloudEvent of a type this version does not know: counted and skipped.
        case unknownType(String)
        case rejected(DecodeFailure)
    }

    public var limits: DecodingLimits

    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
    }

    /// Decodes one record.
    /// - Parameters:
    ///   - value: the Kafka record's value.
    ///   - headers: the record's headers (binary content mode reads `ce_*` and `content-type`).
    ///   - key: the record's key; when present it must equal the conversation (or agent) id.
    public func decode(value: [UInt8], headers: [(String, [UInt8])] = [], key: String? = nil) -> Outcome {
        do {
            return try decodeThrowing(value: value, headers: headers, key: key)
        } catch {
            return .rejected(error)
        }
    }

    /// Decodes one record whose Kafka key is raw bytes (a key that is not UTF-8 counts as none).
    public func decode(value: [UInt8], headers: [(String, [UInt8])] = [], keyBytes: [UInt8]?) -> Outcome {
        decode(value: value, headers: headers, key: keyBytes.flatMap { String(utf8: $0[...]) })
    }

    private func decodeThrowing(value: [UInt8], headers: [(String, [UInt8])], key: String?) throws(DecodeFailure) -> Outcome {
        if value.count > limits.maxEventBytes {
            throw DecodeFailure(.tooLarge, "the record is \(value.count) bytes; the limit is \(limits.maxEventBytes) (limits.max_event_bytes)")
        }
        let read: EnvelopeRead
        if headers.contains(where: { $0.0 == "ce_specversion" }) {
            read = try binaryEnvelope(value: value, headers: headers)
        } else {
            read = try structuredEnvelope(value: value, headers: headers)
        }
        guard case .known(let envelope) = read else {
            if case .unknown(let type) = read { return .unknownType(type) }
            preconditionFailure()
        }
        let type = envelope.type
        if type == EventType.agentStatus {
            let status = try agentStatus(envelope)
            try checkKey(key, equals: status.agentID, field: "data.agent_id", eventType: type)
            return .agentStatus(status)
        }
        if type == EventType.customerErase {
            let erase = try customerErase(envelope)
            try checkKey(key, equals: erase.customerID, field: "data.customer_id", eventType: type)
            return .customerErase(erase)
        }
        let event = try conversationEvent(envelope)
        try checkKey(key, equals: event.conversationID, field: "data.conversation_id", eventType: type)
        return .conversation(event)
    }

    private func checkKey(_ key: String?, equals id: String, field: String, eventType: String) throws(DecodeFailure) {
        if let key, !key.isEmpty, key != id {
            throw DecodeFailure(.invalidValue, "the Kafka key '\(key)' differs from \(field) '\(id)'; one conversation must have one key", eventType: eventType)
        }
    }

    // MARK: - Envelope

    /// A newer frontend's event types are skipped whatever their data, so the envelope stops being
    /// read as soon as its type is known to be foreign.
    enum EnvelopeRead {
        case known(Envelope)
        case unknown(String)
    }

    static func isKnown(_ type: String) -> Bool {
        type == EventType.agentStatus || type == EventType.customerErase || EventType.conversationInputs.contains(type)
    }

    /// CloudEvents `source` is a URI-reference; the contract allows up to 2048 characters.
    static let maxSourceLength = 2048

    struct Envelope {
        var id: String
        var source: String
        var type: String
        var time: Timestamp
        var subject: String?
        var data: Data
    }

    /// `data`: an object read as members (what every known event has), or any other JSON value (refused).
    enum Data {
        case object(JSONParser.Members)
        case other(JSONValue)

        init(_ document: JSONParser.Document) {
            switch document {
            case .object(let members, _): self = .object(members)
            case .value(let value): self = .other(value)
            }
        }
    }

    private func structuredEnvelope(value: [UInt8], headers: [(String, [UInt8])]) throws(DecodeFailure) -> EnvelopeRead {
        if let contentType = header("content-type", in: headers) {
            let media = mediaType(contentType)
            guard media == "application/cloudevents+json" || media == "application/json" else {
                throw DecodeFailure(.unsupportedContentType, "content-type '\(contentType)' is not supported; send application/cloudevents+json (structured mode) or ce_* headers (binary mode)")
            }
        }
        let document: JSONParser.Document
        do {
            document = try JSONParser.parseDocument(value, nested: "data")
        } catch {
            throw DecodeFailure(.notJSON, "the value is not JSON: \(error)")
        }
        let members: JSONParser.Members
        let nestedData: JSONParser.Members?
        switch document {
        case .object(let object, let nested):
            (members, nestedData) = (object, nested)
        case .value(let json):
            throw DecodeFailure(.notCloudEvent, "the value is a JSON \(json.typeName), not a CloudEvents envelope object")
        }
        guard members["specversion"] != nil else {
            throw DecodeFailure(.notCloudEvent, "the JSON object has no 'specversion': not a CloudEvents envelope (structured mode) and no ce_specversion header (binary mode)")
        }
        let reader = FieldReader(object: members, path: "", eventType: nil, limits: limits)
        let specversion = try reader.string("specversion")
        guard specversion == "1.0" else {
            throw DecodeFailure(.invalidValue, "specversion '\(specversion)' is not supported; use 1.0")
        }
        let type = try reader.id("type")
        guard Self.isKnown(type) else { return .unknown(type) }
        let typed = FieldReader(object: members, path: "", eventType: type, limits: limits)
        if let contentType = try typed.optionalString("datacontenttype") {
            let media = mediaType(contentType)
            guard media == "application/json" || media.hasSuffix("+json") else {
                throw typed.failure(.unsupportedContentType, "datacontenttype '\(contentType)' is not supported; data must be JSON")
            }
        }
        guard let dataValue = members["data"], dataValue != .null else {
            throw typed.failure(.missingField, "required field 'data' is missing")
        }
        // An object `data` was read as members (`dataValue` stands for it); anything else is as it came.
        let data: Data = nestedData.map { .object($0) } ?? .other(dataValue)
        let source = try typed.string("source", maxLength: Self.maxSourceLength)
        if source.isEmpty { throw typed.failure(.invalidValue, "field 'source' must not be empty") }
        return .known(Envelope(
            id: try typed.id("id"),
            source: source,
            type: type,
            time: try timestamp(try typed.string("time"), field: "time", eventType: type),
            subject: try typed.optionalID("subject"),
            data: data
        ))
    }

    private func binaryEnvelope(value: [UInt8], headers: [(String, [UInt8])]) throws(DecodeFailure) -> EnvelopeRead {
        func required(_ name: String, _ eventType: String?, maxLength: Int? = nil) throws(DecodeFailure) -> String {
            guard let text = header(name, in: headers), !text.isEmpty else {
                throw DecodeFailure(.missingField, "binary mode: required header '\(name)' is missing or empty", eventType: eventType)
            }
            let limit = maxLength ?? limits.maxIDLength
            if text.unicodeScalars.count > limit {
                throw DecodeFailure(.tooLarge, "binary mode: header '\(name)' is longer than \(limit) characters", eventType: eventType)
            }
            return text
        }
        let specversion = try required("ce_specversion", nil)
        guard specversion == "1.0" else {
            throw DecodeFailure(.invalidValue, "ce_specversion '\(specversion)' is not supported; use 1.0")
        }
        let type = try required("ce_type", nil)
        guard Self.isKnown(type) else { return .unknown(type) }
        if let contentType = header("content-type", in: headers) {
            let media = mediaType(contentType)
            guard media == "application/json" || media.hasSuffix("+json") else {
                throw DecodeFailure(.unsupportedContentType, "binary mode: content-type '\(contentType)' is not supported; data must be JSON", eventType: type)
            }
        }
        let data: Data
        do {
            data = Data(try JSONParser.parseDocument(value, nested: nil))
        } catch {
            throw DecodeFailure(.notJSON, "binary mode: the value (data) is not JSON: \(error)", eventType: type)
        }
        return .known(Envelope(
            id: try required("ce_id", type),
            source: try required("ce_source", type, maxLength: Self.maxSourceLength),
            type: type,
            time: try timestamp(try required("ce_time", type), field: "ce_time", eventType: type),
            subject: try header("ce_subject", in: headers).map { subject throws(DecodeFailure) in
                if subject.unicodeScalars.count > limits.maxIDLength {
                    throw DecodeFailure(.tooLarge, "binary mode: header 'ce_subject' is longer than \(limits.maxIDLength) characters", eventType: type)
                }
                return subject
            },
            data: data
        ))
    }

    private func header(_ name: String, in headers: [(String, [UInt8])]) -> String? {
        guard let bytes = headers.last(where: { $0.0.lowercased() == name })?.1 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func mediaType(_ contentType: String) -> String {
        // What nearly every event says needs no splitting and lower-casing.
        if contentType == "application/json" || contentType == "application/cloudevents+json" { return contentType }
        return contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
    }

    private func timestamp(_ text: String, field: String, eventType: String) throws(DecodeFailure) -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else {
            throw DecodeFailure(.invalidValue, "'\(field)' must be an RFC 3339 timestamp such as 2026-11-26T15:04:05Z, got '\(text)'", eventType: eventType)
        }
        return time
    }

    // MARK: - Data

    private func dataReader(_ envelope: Envelope) throws(DecodeFailure) -> FieldReader {
        guard case .object(let members) = envelope.data else {
            let typeName = if case .other(let value) = envelope.data { value.typeName } else { "object" }
            throw DecodeFailure(.wrongType, "'data' must be a JSON object, got \(typeName)", eventType: envelope.type)
        }
        return FieldReader(object: members, path: "data", eventType: envelope.type, limits: limits)
    }

    private func agentStatus(_ envelope: Envelope) throws(DecodeFailure) -> AgentStatus {
        let data = try dataReader(envelope)
        return AgentStatus(
            agentID: try data.id("agent_id"),
            status: try data.enumeration("status", as: AgentStatus.Status.self, allowed: AgentStatus.Status.allCases.map(\.rawValue)),
            queues: try data.stringArray("queues", required: true),
            capacity: try data.optionalInteger("capacity", in: 1...1000) ?? 1,
            time: envelope.time
        )
    }

    private func customerErase(_ envelope: Envelope) throws(DecodeFailure) -> CustomerErase {
        let data = try dataReader(envelope)
        let customerID = try data.id("customer_id")
        if let subject = envelope.subject, !subject.isEmpty, subject != customerID {
            throw data.failure(.invalidValue, "subject '\(subject)' differs from data.customer_id '\(customerID)'")
        }
        return CustomerErase(id: try data.optionalID("erase_id") ?? envelope.id, customerID: customerID, time: envelope.time,
                             partition: try data.optionalInteger("partition", in: 0...1_000_000))
    }

    private func conversationEvent(_ envelope: Envelope) throws(DecodeFailure) -> ConversationEvent {
        let data = try dataReader(envelope)
        let conversationID = try data.id("conversation_id")
        if let subject = envelope.subject, !subject.isEmpty, subject != conversationID {
            throw data.failure(.invalidValue, "subject '\(subject)' differs from data.conversation_id '\(conversationID)'")
        }
        let payload: ConversationEvent.Payload
        switch envelope.type {
        case EventType.conversationStarted:
            let channel = try data.id("channel")
            guard Self.channels.contains(channel) else {
                throw data.failure(.invalidValue, "field 'data.channel' must be one of \(Self.channels.sorted().joined(separator: ", ")), got '\(channel)'")
            }
            let locale = try data.id("locale")
            guard Self.isLanguageTag(locale) else {
                throw data.failure(.invalidValue, "field 'data.locale' must be a BCP 47 language tag such as de-DE, got '\(locale)'")
            }
            let tier = try data.optionalID("customer_tier")
            if let tier, !Self.tiers.contains(tier) {
                throw data.failure(.invalidValue, "field 'data.customer_tier' must be one of \(Self.tiers.sorted().joined(separator: ", ")), got '\(tier)'")
            }
            let zone = try data.optionalID("time_zone")
            if let zone { try Self.checkZone(zone, in: data) }
            payload = .started(.init(
                customerID: try data.id("customer_id"),
                channel: channel,
                locale: locale,
                customerTier: tier,
                timeZone: zone,
                metadata: try data.optionalStringMap("metadata")
            ))
        case EventType.customerMessage:
            payload = .customerMessage(messageID: try data.id("message_id"), text: try data.text("text"))
        case EventType.botMessage:
            payload = .botMessage(.init(
                messageID: try data.id("message_id"),
                text: try data.text("text"),
                sources: try data.stringArray("sources", required: true),
                confidence: try data.optionalNumber("confidence", in: 0...1),
                faithfulness: try data.optionalNumber("faithfulness", in: 0...1),
                inReplyTo: try data.optionalID("in_reply_to")
            ))
        case EventType.feedback:
            payload = .feedback(messageID: try data.id("message_id"), helpful: try data.bool("helpful"))
        case EventType.handoffRequested:
            payload = .handoffRequested(messageID: try data.optionalID("message_id"))
        case EventType.offerAnswered:
            payload = .offerAnswered(
                offerID: try data.id("offer_id"),
                answer: try data.enumeration("answer", as: ConversationEvent.OfferAnswer.self, allowed: ConversationEvent.OfferAnswer.allCases.map(\.rawValue))
            )
        case EventType.handoffAbandoned:
            payload = .handoffAbandoned(handoffID: try data.optionalID("handoff_id"))
        case EventType.conversationEnded:
            payload = .ended(resolved: try data.bool("resolved"), csat: try data.optionalInteger("csat", in: 1...5))
        case EventType.handoffAccepted:
            payload = .handoffAccepted(handoffID: try data.optionalID("handoff_id"), agentID: try data.id("agent_id"))
        case EventType.handoffRequeued:
            payload = .handoffRequeued(
                handoffID: try data.optionalID("handoff_id"),
                agentID: try data.optionalID("agent_id"),
                reason: try data.optionalString("reason", maxLength: limits.maxTextLength)
            )
        case EventType.handoffCompleted:
            payload = .handoffCompleted(
                handoffID: try data.optionalID("handoff_id"),
                agentID: try data.optionalID("agent_id"),
                handback: try data.optionalBool("handback") ?? false
            )
        case EventType.callbackRequested:
            let zone = try data.id("time_zone")
            try Self.checkZone(zone, in: data)
            payload = .callbackRequested(.init(contactRef: try data.id("contact_ref"), timeZone: zone, windows: try data.optionalWindows("windows"),
                                               queue: try data.optionalID("queue")))
        case EventType.callbackCancelled:
            payload = .callbackCancelled(callbackID: try data.optionalID("callback_id"))
        case EventType.callbackCompleted:
            payload = .callbackCompleted(
                callbackID: try data.id("callback_id"),
                attempt: try data.optionalInteger("attempt", in: 1...100),
                outcome: try data.enumeration("outcome", as: ConversationEvent.CallbackOutcome.self, allowed: ConversationEvent.CallbackOutcome.allCases.map(\.rawValue))
            )
        default:
            preconditionFailure("conversationInputs and this switch disagree about \(envelope.type)")
        }
        return ConversationEvent(id: envelope.id, source: envelope.source, time: envelope.time, conversationID: conversationID, payload: payload)
    }
}

extension EventDecoder {
    /// A `data.time_zone` that does not have the shape of an IANA name is refused, saying so.
    static func checkZone(_ zone: String, in data: FieldReader) throws(DecodeFailure) {
        guard isZoneName(zone) else {
            throw data.failure(.invalidValue, "field 'data.time_zone' must be an IANA time zone such as Europe/Berlin, got '\(zone)'")
        }
    }

    /// `Area/Location` (or `UTC`): the shape of an IANA name; whether the zone exists is checked where the database is.
    static func isZoneName(_ text: String) -> Bool {
        text.count <= 64 && !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }
            && !text.hasPrefix("/") && !text.contains("..")
    }

    static let channels: Set<String> = ["web", "app", "email", "whatsapp", "sms", "voice", "other"]
    /// The customer tiers of the contract; `priority.tier_raise` in the configuration uses the same names.
    public static let tiers: Set<String> = ["standard", "premium", "vip"]

    /// `xx`, `xxx`, then `-` subtags of 1 to 8 letters or digits (what the contract's schema accepts).
    static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }), text.count <= 35 else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var slice = self
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return slice
    }
}
