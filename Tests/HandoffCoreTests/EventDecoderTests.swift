import Foundation
import HandoffCore
import Testing

@Suite("EventDecoder")
struct EventDecoderTests {
    // MARK: - Fixtures from the contract

    /// The repository root: this file is Tests/HandoffCoreTests/EventDecoderTests.swift.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("protocols/examples")
    static let schemas = root.appendingPathComponent("protocols/schemas")

    struct ExampleLine {
        var location: String
        var bytes: [UInt8]
        var json: [String: Any]
    }

    static func exampleLines() throws -> [ExampleLine] {
        let files = try FileManager.default.contentsOfDirectory(atPath: examples.path)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        var lines: [ExampleLine] = []
        for file in files {
            let text = try String(contentsOf: examples.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n").enumerated() where !line.allSatisfy(\.isWhitespace) {
                let bytes = Array(line.utf8)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
                lines.append(ExampleLine(location: "\(file):\(number + 1)", bytes: bytes, json: json))
            }
        }
        return lines
    }

    static func schemaFile(_ directory: String, _ name: String) throws -> [UInt8] {
        let url = schemas.appendingPathComponent(directory).appendingPathComponent(name)
        return Array(try #require(FileManager.default.contents(atPath: url.path), "missing \(url.path)"))
    }

    /// The payload the contract says a `data` object means, built independently of the decoder.
    static func expectedPayload(type: String, data: [String: Any]) throws -> ConversationEvent.Payload {
        func string(_ key: String) -> String? { data[key] as? String }
        func required(_ key: String) throws -> String { try #require(string(key), "\(type): data.\(key)") }
        func number(_ key: String) -> Double? { (data[key] as? NSNumber)?.doubleValue }
        switch type {
        case EventType.conversationStarted:
            return .started(.init(
                customerID: try required("customer_id"), channel: try required("channel"), locale: try required("locale"),
                customerTier: string("customer_tier"), timeZone: string("time_zone"), metadata: data["metadata"] as? [String: String] ?? [:]
            ))
        case EventType.customerMessage:
            return .customerMessage(messageID: try required("message_id"), text: try required("text"))
        case EventType.botMessage:
            return .botMessage(.init(
                messageID: try required("message_id"), text: try required("text"),
                sources: try #require(data["sources"] as? [String]),
                confidence: number("confidence"), faithfulness: number("faithfulness"), inReplyTo: string("in_reply_to")
            ))
        case EventType.feedback:
            return .feedback(messageID: try required("message_id"), helpful: try #require(data["helpful"] as? Bool))
        case EventType.handoffRequested:
            return .handoffRequested(messageID: string("message_id"))
        case EventType.offerAnswered:
            return .offerAnswered(offerID: try required("offer_id"), answer: try #require(.init(rawValue: try required("answer"))))
        case EventType.handoffAbandoned:
            return .handoffAbandoned(handoffID: string("handoff_id"))
        case EventType.conversationEnded:
            return .ended(resolved: try #require(data["resolved"] as? Bool), csat: (data["csat"] as? NSNumber)?.intValue)
        case EventType.handoffAccepted:
            return .handoffAccepted(handoffID: string("handoff_id"), agentID: try required("agent_id"))
        case EventType.handoffRequeued:
            return .handoffRequeued(handoffID: string("handoff_id"), agentID: string("agent_id"), reason: string("reason"))
        case EventType.handoffCompleted:
            return .handoffCompleted(handoffID: string("handoff_id"), agentID: string("agent_id"), handback: data["handback"] as? Bool ?? false)
        case EventType.callbackRequested:
            let windows = (data["windows"] as? [[String: String]] ?? []).map {
                CallbackSlot(start: Timestamp(rfc3339: $0["start"]!)!, end: Timestamp(rfc3339: $0["end"]!)!)
            }
            return .callbackRequested(.init(contactRef: try required("contact_ref"), timeZone: try required("time_zone"), windows: windows, queue: string("queue")))
        case EventType.callbackCancelled:
            return .callbackCancelled(callbackID: string("callback_id"))
        case EventType.callbackCompleted:
            return .callbackCompleted(callbackID: try required("callback_id"), attempt: data["attempt"] as? Int,
                                      outcome: try #require(ConversationEvent.CallbackOutcome(rawValue: try required("outcome"))))
        default:
            throw UnexpectedType(type: type)
        }
    }

    struct UnexpectedType: Error { var type: String }

    static func typeName(of payload: ConversationEvent.Payload) -> String {
        payload.typeName
    }

    /// Binary content mode for a structured example: attributes as `ce_*` headers, `data` as the value.
    static func binaryRecord(_ json: [String: Any]) throws -> (value: [UInt8], headers: [(String, [UInt8])]) {
        var headers: [(String, [UInt8])] = [("content-type", Array("application/json".utf8))]
        for attribute in ["specversion", "id", "source", "type", "time", "subject"] {
            if let text = json[attribute] as? String { headers.append(("ce_\(attribute)", Array(text.utf8))) }
        }
        let data = try #require(json["data"])
        return (Array(try JSONSerialization.data(withJSONObject: data)), headers)
    }

    // MARK: - Building events

    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    /// A structured-mode event; `members` replace the envelope's raw JSON members (nil removes one).
    static func event(_ members: [String: String?] = [:]) -> [UInt8] {
        var envelope: [String: String] = [
            "specversion": quoted("1.0"),
            "id": quoted("evt-1"),
            "source": quoted("https://chat.example.com/frontend"),
            "type": quoted(EventType.customerMessage),
            "time": quoted("2025-03-04T10:15:32Z"),
            "datacontenttype": quoted("application/json"),
            "data": #"{"conversation_id":"conv-1","message_id":"m1","text":"hello"}"#,
        ]
        for (name, value) in members { envelope[name] = value }
        let body = envelope.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value)" }.joined(separator: ",")
        return Array("{\(body)}".utf8)
    }

    /// A structured-mode event of `type` whose `data` is `data` (raw JSON).
    static func event(_ type: String, _ data: String, _ members: [String: String?] = [:]) -> [UInt8] {
        event(members.merging(["type": quoted(type), "data": data]) { first, _ in first })
    }

    static func binaryHeaders(type: String = EventType.customerMessage, without: String? = nil, replacing: [String: String] = [:]) -> [(String, [UInt8])] {
        var headers: [(String, String)] = [
            ("ce_specversion", "1.0"), ("ce_id", "evt-b1"), ("ce_source", "https://desk.example.com/agent-desktop"),
            ("ce_type", type), ("ce_time", "2025-03-04T10:15:32.250+01:00"), ("ce_subject", "conv-1"),
            ("content-type", "application/json"),
        ]
        headers.removeAll { $0.0 == without }
        for (index, header) in headers.enumerated() where replacing[header.0] != nil { headers[index].1 = replacing[header.0]! }
        return headers.map { ($0.0, Array($0.1.utf8)) }
    }

    static let botData = #"{"conversation_id":"conv-1","message_id":"m2","text":"Try this.","sources":["kb-1","kb-2"],"confidence":0.8}"#
    static let agentData = #"{"agent_id":"agent-7","status":"available","queues":["billing-de","general-de"]}"#

    static func failure(_ outcome: EventDecoder.Outcome) -> DecodeFailure? {
        if case .rejected(let failure) = outcome { return failure }
        return nil
    }

    let decoder = EventDecoder()

    // MARK: - Every input type decodes

    @Test("every line of protocols/examples decodes in structured mode to the event it describes")
    func decodesEveryExample() throws {
        let lines = try Self.exampleLines()
        #expect(lines.count >= 80, "the example conversations should be found at \(Self.examples.path)")
        var seenTypes = Set<String>()
        for line in lines {
            let type = try #require(line.json["type"] as? String)
            let data = try #require(line.json["data"] as? [String: Any])
            let conversationID = try #require(data["conversation_id"] as? String)
            let outcome = decoder.decode(value: line.bytes, key: conversationID)
            guard case .conversation(let event) = outcome else {
                Issue.record("\(line.location): \(type) decoded to \(outcome)")
                continue
            }
            seenTypes.insert(type)
            #expect(event.id == line.json["id"] as? String, "\(line.location)")
            #expect(event.source == line.json["source"] as? String, "\(line.location)")
            #expect(event.conversationID == conversationID, "\(line.location)")
            let time = try #require(line.json["time"] as? String)
            #expect(event.time == Timestamp(rfc3339: time), "\(line.location)")
            #expect(Self.typeName(of: event.payload) == type, "\(line.location)")
            let expected = try Self.expectedPayload(type: type, data: data)
            #expect(event.payload == expected, "\(line.location)")
        }
        #expect(seenTypes == EventType.conversationInputs, "the examples should cover every conversation input type")
    }

    @Test("every example line decodes identically in Kafka binary content mode")
    func decodesEveryExampleInBinaryMode() throws {
        for line in try Self.exampleLines() {
            let record = try Self.binaryRecord(line.json)
            let binary = decoder.decode(value: record.value, headers: record.headers)
            let structured = decoder.decode(value: line.bytes)
            #expect(binary == structured, "\(line.location)")
            #expect(Self.failure(binary) == nil, "\(line.location)")
        }
    }

    @Test("a bot message decodes in binary mode from ce_* headers and data as the value")
    func decodesBinaryMode() {
        let outcome = decoder.decode(value: Array(Self.botData.utf8), headers: Self.binaryHeaders(type: EventType.botMessage), key: "conv-1")
        let expected = ConversationEvent(
            id: "evt-b1",
            source: "https://desk.example.com/agent-desktop",
            time: Timestamp(millisecondsSinceEpoch: 1_741_079_732_250),
            conversationID: "conv-1",
            payload: .botMessage(.init(messageID: "m2", text: "Try this.", sources: ["kb-1", "kb-2"], confidence: 0.8))
        )
        #expect(outcome == .conversation(expected))
    }

    @Test("binary mode accepts a +json content type and no content type at all")
    func binaryModeContentTypes() {
        let value = Array(Self.botData.utf8)
        let vendor = decoder.decode(value: value, headers: Self.binaryHeaders(type: EventType.botMessage, replacing: ["content-type": "application/vnd.example+json; charset=utf-8"]))
        let none = decoder.decode(value: value, headers: Self.binaryHeaders(type: EventType.botMessage, without: "content-type"))
        #expect(Self.failure(vendor) == nil)
        #expect(Self.failure(none) == nil)
    }

    @Test("structured mode accepts the CloudEvents content type with parameters, in any header case")
    func structuredModeContentTypes() {
        for (name, value) in [("content-type", "application/cloudevents+json; charset=utf-8"), ("Content-Type", "application/json")] {
            let outcome = decoder.decode(value: Self.event(), headers: [(name, Array(value.utf8))])
            #expect(outcome == decoder.decode(value: Self.event()), "\(name): \(value)")
            #expect(Self.failure(outcome) == nil, "\(name): \(value)")
        }
        let charset = Self.event(["datacontenttype": Self.quoted("application/json; charset=utf-8")])
        #expect(Self.failure(decoder.decode(value: charset)) == nil)
    }

    @Test(
        "every valid example of the contract's schemas is accepted",
        arguments: [
            ("cloudevent.json", nil), ("cloudevent.with-extensions.json", nil), ("cloudevent.datacontenttype-charset.json", nil),
            ("support.conversation.started.json", EventType.conversationStarted),
            ("support.conversation.started.unknown-field-allowed.json", EventType.conversationStarted),
            ("support.message.customer.json", EventType.customerMessage),
            ("support.message.bot.json", EventType.botMessage),
            ("support.message.bot.unknown-field-allowed.json", EventType.botMessage),
            ("support.message.bot.ungrounded-no-confidence.json", EventType.botMessage),
            ("support.feedback.json", EventType.feedback),
            ("support.handoff.requested.json", EventType.handoffRequested),
            ("support.handoff.requested.button-only.json", EventType.handoffRequested),
            ("support.escalation.offer_answered.json", EventType.offerAnswered),
            ("support.handoff.abandoned.json", EventType.handoffAbandoned),
            ("support.conversation.ended.json", EventType.conversationEnded),
            ("support.handoff.accepted.json", EventType.handoffAccepted),
            ("support.handoff.requeued.json", EventType.handoffRequeued),
            ("support.handoff.completed.json", EventType.handoffCompleted),
        ] as [(String, String?)]
    )
    func acceptsValidSchemaExample(file: String, type: String?) throws {
        let bytes = try Self.schemaFile("examples-valid", file)
        // Envelope examples are whole events; data examples are wrapped in an envelope of their type.
        let value = type.map { Self.event($0, String(decoding: bytes, as: UTF8.self)) } ?? bytes
        let outcome = decoder.decode(value: value)
        guard case .conversation(let event) = outcome else {
            Issue.record("\(file) decoded to \(outcome)")
            return
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let data = type == nil ? try #require(json["data"] as? [String: Any]) : json
        let expected = try Self.expectedPayload(type: type ?? EventType.botMessage, data: data)
        #expect(event.payload == expected)
    }

    // MARK: - Agent status

    @Test("support.agent.status decodes to agentStatus, with the key equal to the agent id")
    func decodesAgentStatus() throws {
        let data = String(decoding: try Self.schemaFile("examples-valid", "support.agent.status.json"), as: UTF8.self)
        let outcome = decoder.decode(value: Self.event(EventType.agentStatus, data, ["subject": Self.quoted("agent-7")]), key: "agent-7")
        guard case .agentStatus(let status) = outcome else {
            Issue.record("decoded to \(outcome)")
            return
        }
        #expect(status.agentID == "agent-7")
        #expect(status.status == .available)
        #expect(status.queues == ["billing-de", "general-de"])
        #expect(status.capacity == 3)
        #expect(status.time == Timestamp(rfc3339: "2025-03-04T10:15:32Z"))
    }

    @Test("support.agent.status without capacity has capacity 1")
    func agentStatusDefaultCapacity() {
        let outcome = decoder.decode(value: Self.event(EventType.agentStatus, Self.agentData))
        guard case .agentStatus(let status) = outcome else {
            Issue.record("decoded to \(outcome)")
            return
        }
        #expect(status.capacity == 1)
        #expect(status.status == .available)
    }

    @Test("support.agent.status decodes in binary mode too")
    func agentStatusBinaryMode() {
        let outcome = decoder.decode(
            value: Array(#"{"agent_id":"agent-9","status":"away","queues":[],"capacity":2}"#.utf8),
            headers: Self.binaryHeaders(type: EventType.agentStatus, replacing: ["ce_subject": "agent-9"]),
            key: "agent-9"
        )
        guard case .agentStatus(let status) = outcome else {
            Issue.record("decoded to \(outcome)")
            return
        }
        #expect(status.agentID == "agent-9")
        #expect(status.status == .away)
        #expect(status.queues.isEmpty)
        #expect(status.capacity == 2)
    }

    // MARK: - Unknown types

    @Test(
        "a well-formed event of an unknown type is skipped, not rejected",
        arguments: ["com.example.survey.submitted", "support.message.customer.v2", EventType.handoffCreated, EventType.botPaused]
    )
    func unknownTypeIsSkipped(type: String) {
        let outcome = decoder.decode(value: Self.event(type, #"{"anything":[1,2,3]}"#), key: "whatever")
        #expect(outcome == .unknownType(type))
    }

    /// The contract: "Unknown event types on support.conversations are counted and skipped, never
    /// dead-lettered." `data` is optional in CloudEvents and its format is the producer's business.
    @Test("an unknown type is skipped whatever its data looks like")
    func unknownTypeIsNeverRejected() throws {
        let type = "com.example.survey.submitted"
        let minimal = try Self.schemaFile("examples-valid", "cloudevent.binary-style-minimal.json")
        let cases: [(String, EventDecoder.Outcome, String)] = [
            ("no data (examples-valid/cloudevent.binary-style-minimal.json)", decoder.decode(value: minimal), EventType.botPaused),
            ("no data", decoder.decode(value: Self.event(["type": Self.quoted(type), "data": nil])), type),
            ("data is a string", decoder.decode(value: Self.event(type, #""free text""#)), type),
            (
                "XML data",
                decoder.decode(value: Self.event(type, #""<survey/>""#, ["datacontenttype": Self.quoted("application/xml")])),
                type
            ),
            (
                "binary mode, protobuf data",
                decoder.decode(value: [0x08, 0x96, 0x01], headers: Self.binaryHeaders(type: type, replacing: ["content-type": "application/protobuf"])),
                type
            ),
            (
                "binary mode, data not JSON",
                decoder.decode(value: Array("thanks!".utf8), headers: Self.binaryHeaders(type: type, without: "content-type")),
                type
            ),
        ]
        for (name, outcome, expectedType) in cases {
            #expect(outcome == .unknownType(expectedType), "\(name)")
        }
    }

    // MARK: - Rejections

    struct Rejection: Sendable, CustomTestStringConvertible {
        var name: String
        var value: [UInt8]
        var headers: [(String, [UInt8])] = []
        var key: String? = nil
        var code: DecodeFailure.Code
        /// Text the reason must contain: the field it names, the offending value.
        var mentions: [String]
        var eventType: String?
        var testDescription: String { name }
    }

    static let customer = EventType.customerMessage

    static let rejections: [Rejection] = [
        // not_json
        Rejection(name: "truncated JSON", value: Array(#"{"specversion":"#.utf8), code: .notJSON, mentions: ["not JSON", "at byte 15"], eventType: nil),
        Rejection(name: "empty value", value: [], code: .notJSON, mentions: ["at byte 0"], eventType: nil),
        Rejection(name: "HTML", value: Array("<html>oops</html>".utf8), code: .notJSON, mentions: ["unexpected character at byte 0"], eventType: nil),
        // not_cloudevent
        Rejection(name: "JSON array", value: Array(#"["specversion","1.0"]"#.utf8), code: .notCloudEvent, mentions: ["array"], eventType: nil),
        Rejection(name: "object without specversion", value: event(["specversion": nil]), code: .notCloudEvent, mentions: ["specversion"], eventType: nil),
        // missing_field
        Rejection(name: "no data.text", value: event(customer, #"{"conversation_id":"conv-1","message_id":"m1"}"#), code: .missingField, mentions: ["'data.text'"], eventType: customer),
        Rejection(name: "no data.conversation_id", value: event(customer, #"{"message_id":"m1","text":"hi"}"#), code: .missingField, mentions: ["'data.conversation_id'"], eventType: customer),
        Rejection(name: "data.text null", value: event(customer, #"{"conversation_id":"conv-1","message_id":"m1","text":null}"#), code: .missingField, mentions: ["'data.text'"], eventType: customer),
        Rejection(name: "no data.sources", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t"}"#), code: .missingField, mentions: ["'data.sources'"], eventType: EventType.botMessage),
        Rejection(name: "no time", value: event(["time": nil]), code: .missingField, mentions: ["'time'"], eventType: customer),
        Rejection(name: "no id", value: event(["id": nil]), code: .missingField, mentions: ["'id'"], eventType: customer),
        Rejection(name: "no source", value: event(["source": nil]), code: .missingField, mentions: ["'source'"], eventType: customer),
        Rejection(name: "no type", value: event(["type": nil]), code: .missingField, mentions: ["'type'"], eventType: nil),
        Rejection(name: "no data", value: event(["data": nil]), code: .missingField, mentions: ["'data'"], eventType: customer),
        Rejection(name: "agent status without queues", value: event(EventType.agentStatus, #"{"agent_id":"a1","status":"busy"}"#), code: .missingField, mentions: ["'data.queues'"], eventType: EventType.agentStatus),
        // wrong_type
        Rejection(name: "text is a number", value: event(customer, #"{"conversation_id":"conv-1","message_id":"m1","text":42}"#), code: .wrongType, mentions: ["'data.text'", "string", "number"], eventType: customer),
        Rejection(name: "helpful is \"no\"", value: event(EventType.feedback, #"{"conversation_id":"conv-1","message_id":"m2","helpful":"no"}"#), code: .wrongType, mentions: ["'data.helpful'", "boolean"], eventType: EventType.feedback),
        Rejection(name: "sources with a number", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":["kb-1",7]}"#), code: .wrongType, mentions: ["'data.sources[1]'", "number"], eventType: EventType.botMessage),
        Rejection(name: "sources is a string", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":"kb-1"}"#), code: .wrongType, mentions: ["'data.sources'"], eventType: EventType.botMessage),
        Rejection(name: "data is a string", value: event(customer, #""hello""#), code: .wrongType, mentions: ["'data'", "string"], eventType: customer),
        Rejection(name: "csat is a fraction", value: event(EventType.conversationEnded, #"{"conversation_id":"conv-1","resolved":true,"csat":4.5}"#), code: .wrongType, mentions: ["'data.csat'", "integer"], eventType: EventType.conversationEnded),
        Rejection(name: "a start event's time zone that is not an IANA name", value: event(EventType.conversationStarted, #"{"conversation_id":"conv-1","customer_id":"c","channel":"web","locale":"en","time_zone":"UTC+2 (summer)"}"#), code: .invalidValue, mentions: ["'data.time_zone'"], eventType: EventType.conversationStarted),
        Rejection(name: "metadata value is a number", value: event(EventType.conversationStarted, #"{"conversation_id":"conv-1","customer_id":"c","channel":"web","locale":"en","metadata":{"retries":3}}"#), code: .wrongType, mentions: ["'data.metadata.retries'"], eventType: EventType.conversationStarted),
        Rejection(name: "specversion is a number", value: event(["specversion": "1.0"]), code: .wrongType, mentions: ["'specversion'"], eventType: nil),
        Rejection(name: "handback is a string", value: event(EventType.handoffCompleted, #"{"conversation_id":"conv-1","handback":"true"}"#), code: .wrongType, mentions: ["'data.handback'"], eventType: EventType.handoffCompleted),
        // invalid_value
        Rejection(name: "specversion 0.3", value: event(["specversion": quoted("0.3")]), code: .invalidValue, mentions: ["'0.3'"], eventType: nil),
        Rejection(name: "time 2026-02-30", value: event(["time": quoted("2026-02-30T10:00:00Z")]), code: .invalidValue, mentions: ["'time'", "2026-02-30T10:00:00Z"], eventType: customer),
        Rejection(name: "time without zone", value: event(["time": quoted("2025-03-04T10:15:32")]), code: .invalidValue, mentions: ["'time'", "2025-03-04T10:15:32"], eventType: customer),
        Rejection(name: "Kafka key differs from conversation_id", value: event(), key: "conv-2", code: .invalidValue, mentions: ["'conv-2'", "data.conversation_id", "'conv-1'"], eventType: customer),
        Rejection(name: "subject differs from conversation_id", value: event(["subject": quoted("conv-9")]), code: .invalidValue, mentions: ["'conv-9'", "data.conversation_id", "'conv-1'"], eventType: customer),
        Rejection(name: "confidence 1.5", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":[],"confidence":1.5}"#), code: .invalidValue, mentions: ["'data.confidence'", "1.5"], eventType: EventType.botMessage),
        Rejection(name: "faithfulness -0.1", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":[],"faithfulness":-0.1}"#), code: .invalidValue, mentions: ["'data.faithfulness'"], eventType: EventType.botMessage),
        Rejection(name: "csat 0", value: event(EventType.conversationEnded, #"{"conversation_id":"conv-1","resolved":false,"csat":0}"#), code: .invalidValue, mentions: ["'data.csat'"], eventType: EventType.conversationEnded),
        Rejection(name: "csat 6", value: event(EventType.conversationEnded, #"{"conversation_id":"conv-1","resolved":false,"csat":6}"#), code: .invalidValue, mentions: ["'data.csat'"], eventType: EventType.conversationEnded),
        Rejection(name: "answer maybe", value: event(EventType.offerAnswered, #"{"conversation_id":"conv-1","offer_id":"o1","answer":"maybe"}"#), code: .invalidValue, mentions: ["'data.answer'", "'maybe'"], eventType: EventType.offerAnswered),
        Rejection(name: "empty message_id", value: event(customer, #"{"conversation_id":"conv-1","message_id":"","text":"hi"}"#), code: .invalidValue, mentions: ["'data.message_id'", "empty"], eventType: customer),
        Rejection(name: "empty id", value: event(["id": quoted("")]), code: .invalidValue, mentions: ["'id'"], eventType: customer),
        Rejection(name: "agent status unknown", value: event(EventType.agentStatus, #"{"agent_id":"a1","status":"lunch","queues":[]}"#), code: .invalidValue, mentions: ["'data.status'", "'lunch'"], eventType: EventType.agentStatus),
        Rejection(name: "agent capacity 0", value: event(EventType.agentStatus, #"{"agent_id":"a1","status":"busy","queues":[],"capacity":0}"#), code: .invalidValue, mentions: ["'data.capacity'"], eventType: EventType.agentStatus),
        Rejection(name: "Kafka key differs from agent_id", value: event(EventType.agentStatus, agentData), key: "agent-8", code: .invalidValue, mentions: ["'agent-8'", "data.agent_id"], eventType: EventType.agentStatus),
        // too_large
        Rejection(name: "text longer than 20 000 characters", value: event(customer, #"{"conversation_id":"conv-1","message_id":"m1","text":"\#(String(repeating: "ä", count: 20_001))"}"#), code: .tooLarge, mentions: ["'data.text'", "20000"], eventType: customer),
        Rejection(name: "conversation_id longer than 200 characters", value: event(customer, #"{"conversation_id":"\#(String(repeating: "c", count: 201))","message_id":"m1","text":"hi"}"#), code: .tooLarge, mentions: ["'data.conversation_id'", "200"], eventType: customer),
        Rejection(name: "more than 256 sources", value: event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":[\#(Array(repeating: #""kb""#, count: 257).joined(separator: ","))]}"#), code: .tooLarge, mentions: ["'data.sources'", "256"], eventType: EventType.botMessage),
        Rejection(name: "record larger than maxEventBytes", value: event() + [UInt8](repeating: 0x20, count: 256 * 1024), code: .tooLarge, mentions: ["262144", "max_event_bytes"], eventType: nil),
        // unsupported_content_type
        Rejection(name: "content-type text/plain", value: event(), headers: [("content-type", Array("text/plain".utf8))], code: .unsupportedContentType, mentions: ["'text/plain'"], eventType: nil),
        Rejection(name: "datacontenttype application/xml", value: event(["datacontenttype": quoted("application/xml")]), code: .unsupportedContentType, mentions: ["'application/xml'"], eventType: customer),
        // binary mode
        Rejection(name: "binary: no ce_type", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(without: "ce_type"), code: .missingField, mentions: ["'ce_type'"], eventType: nil),
        Rejection(name: "binary: no ce_id", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(without: "ce_id"), code: .missingField, mentions: ["'ce_id'"], eventType: customer),
        Rejection(name: "binary: empty ce_source", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(replacing: ["ce_source": ""]), code: .missingField, mentions: ["'ce_source'"], eventType: customer),
        Rejection(name: "binary: ce_specversion 0.3", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(replacing: ["ce_specversion": "0.3"]), code: .invalidValue, mentions: ["'0.3'"], eventType: nil),
        Rejection(name: "binary: bad ce_time", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(replacing: ["ce_time": "2025-03-04"]), code: .invalidValue, mentions: ["'ce_time'", "'2025-03-04'"], eventType: customer),
        Rejection(name: "binary: data not JSON", value: Array("hi".utf8), headers: binaryHeaders(), code: .notJSON, mentions: ["not JSON"], eventType: customer),
        Rejection(name: "binary: content-type avro", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(replacing: ["content-type": "application/avro"]), code: .unsupportedContentType, mentions: ["'application/avro'"], eventType: customer),
        Rejection(name: "binary: ce_subject differs", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8), headers: binaryHeaders(replacing: ["ce_subject": "conv-2"]), code: .invalidValue, mentions: ["'conv-2'", "data.conversation_id"], eventType: customer),
        Rejection(name: "binary: text is a number", value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":1}"#.utf8), headers: binaryHeaders(), code: .wrongType, mentions: ["'data.text'"], eventType: customer),
    ]

    @Test("rejects with the reason code, the exact field and the event type", arguments: rejections)
    func rejects(_ rejection: Rejection) throws {
        let outcome = decoder.decode(value: rejection.value, headers: rejection.headers, key: rejection.key)
        let failure = try #require(Self.failure(outcome), "decoded to \(outcome)")
        #expect(failure.code == rejection.code, "\(failure)")
        for text in rejection.mentions {
            #expect(failure.reason.contains(text), "reason should mention \(text): \(failure.reason)")
        }
        #expect(failure.eventType == rejection.eventType)
        #expect(failure.description == "\(rejection.code.rawValue): \(failure.reason)")
    }

    @Test("the reason codes are exactly those of support.deadletter")
    func reasonCodes() {
        #expect(
            Set(DecodeFailure.Code.allCases.map(\.rawValue))
                == ["not_json", "not_cloudevent", "missing_field", "wrong_type", "invalid_value", "too_large", "unsupported_content_type", "undeliverable"]
        )
    }

    // MARK: - Limits

    @Test("the limits are inclusive: a text of exactly maxTextLength and an id of exactly maxIDLength are accepted")
    func limitsAreInclusive() {
        let text = String(repeating: "ä", count: 20_000)
        let id = String(repeating: "c", count: 200)
        let value = Self.event(Self.customer, #"{"conversation_id":"\#(id)","message_id":"m1","text":"\#(text)"}"#)
        guard case .conversation(let event) = decoder.decode(value: value) else {
            Issue.record("a text of 20 000 characters and an id of 200 should be accepted")
            return
        }
        #expect(event.payload == .customerMessage(messageID: "m1", text: text))
    }

    @Test("maxEventBytes is honoured to the byte")
    func maxEventBytes() {
        let value = Self.event()
        let exact = EventDecoder(limits: DecodingLimits(maxEventBytes: value.count))
        let smaller = EventDecoder(limits: DecodingLimits(maxEventBytes: value.count - 1))
        #expect(Self.failure(exact.decode(value: value)) == nil)
        #expect(Self.failure(smaller.decode(value: value))?.code == .tooLarge)
    }

    @Test("custom text and array limits apply")
    func customLimits() {
        let decoder = EventDecoder(limits: DecodingLimits(maxTextLength: 5, maxArrayLength: 1))
        let text = decoder.decode(value: Self.event(Self.customer, #"{"conversation_id":"conv-1","message_id":"m1","text":"123456"}"#))
        let sources = decoder.decode(value: Self.event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":["a","b"]}"#))
        #expect(Self.failure(text)?.code == .tooLarge)
        #expect(Self.failure(sources)?.code == .tooLarge)
        #expect(Self.failure(decoder.decode(value: Self.event(Self.customer, #"{"conversation_id":"conv-1","message_id":"m1","text":"12345"}"#))) == nil)
    }

    @Test("an empty Kafka key is treated as no key; an equal one is accepted")
    func keys() {
        #expect(Self.failure(decoder.decode(value: Self.event(), key: "")) == nil)
        #expect(Self.failure(decoder.decode(value: Self.event(), key: "conv-1")) == nil)
        #expect(Self.failure(decoder.decode(value: Self.event(["subject": Self.quoted("conv-1")]), key: "conv-1")) == nil)
    }

    // MARK: - The contract's counterexamples

    /// Every counterexample in protocols/schemas/counterexamples for an input event is a dead letter.
    /// Left out: envelope details handoffd does not rely on and may be lenient about (extension
    /// attribute names and values, `source` syntax, `data` next to `data_base64`).
    @Test(
        "rejects the contract's counterexamples with the right reason code",
        arguments: [
            ("cloudevent.datacontenttype-xml.json", DecodeFailure.Code.unsupportedContentType),
            ("cloudevent.empty-id.json", .invalidValue),
            ("cloudevent.id-too-long.json", .tooLarge),
            ("cloudevent.missing-specversion.json", .notCloudEvent),
            ("cloudevent.missing-time.json", .missingField),
            ("cloudevent.missing-type.json", .missingField),
            ("cloudevent.not-an-object.json", .notCloudEvent),
            ("cloudevent.specversion-0.3.json", .invalidValue),
            ("cloudevent.time-no-timezone.json", .invalidValue),
            ("cloudevent.time-not-rfc3339.json", .invalidValue),
            ("support.agent.status.capacity-0.json", .invalidValue),
            ("support.agent.status.missing-queues.json", .missingField),
            ("support.agent.status.status-unknown.json", .invalidValue),
            ("support.conversation.ended.csat-0.json", .invalidValue),
            ("support.conversation.ended.csat-6.json", .invalidValue),
            ("support.conversation.ended.csat-fraction.json", .wrongType),
            ("support.conversation.ended.missing-resolved.json", .missingField),
            ("support.conversation.started.channel-unknown.json", .invalidValue),
            ("support.conversation.started.locale-underscore.json", .invalidValue),
            ("support.conversation.started.metadata-value-number.json", .wrongType),
            ("support.conversation.started.missing-locale.json", .missingField),
            ("support.conversation.started.tier-gold.json", .invalidValue),
            ("support.escalation.offer_answered.answer-maybe.json", .invalidValue),
            ("support.escalation.offer_answered.missing-offer-id.json", .missingField),
            ("support.feedback.helpful-not-boolean.json", .wrongType),
            ("support.feedback.missing-message-id.json", .missingField),
            ("support.handoff.abandoned.handoff-id-empty.json", .invalidValue),
            ("support.handoff.accepted.missing-agent-id.json", .missingField),
            ("support.handoff.completed.handback-string.json", .wrongType),
            ("support.handoff.requested.message-id-number.json", .wrongType),
            ("support.handoff.requested.missing-conversation-id.json", .missingField),
            ("support.handoff.requeued.agent-id-too-long.json", .tooLarge),
            ("support.message.bot.confidence-above-1.json", .invalidValue),
            ("support.message.bot.confidence-negative.json", .invalidValue),
            ("support.message.bot.faithfulness-string.json", .wrongType),
            ("support.message.bot.missing-sources.json", .missingField),
            ("support.message.bot.source-id-empty.json", .invalidValue),
            ("support.message.bot.sources-not-array.json", .wrongType),
            ("support.message.customer.empty-message-id.json", .invalidValue),
            ("support.message.customer.missing-text.json", .missingField),
            ("support.message.customer.text-too-long.json", .tooLarge),
        ] as [(String, DecodeFailure.Code)]
    )
    func rejectsCounterexample(file: String, code: DecodeFailure.Code) throws {
        let bytes = try Self.schemaFile("counterexamples", file)
        let value: [UInt8]
        if file.hasPrefix("cloudevent.") {
            value = bytes
        } else {
            let inputs = EventType.conversationInputs.union([EventType.agentStatus])
            let type = try #require(inputs.first { file.hasPrefix($0 + ".") })
            value = Self.event(type, String(decoding: bytes, as: UTF8.self))
        }
        let outcome = decoder.decode(value: value)
        #expect(Self.failure(outcome)?.code == code, "\(file) decoded to \(outcome)")
    }

    @Test("identifier limits follow the contract in both content modes")
    func identifierLimitsFollowTheContract() {
        // cloudevent.json: source is a URI-reference of up to 2048 characters.
        let longSource = "https://chat.example.com/" + String(repeating: "p", count: 1_000)
        let source = decoder.decode(value: Self.event(["source": Self.quoted(longSource)]))
        #expect(Self.failure(source) == nil, "a 1025-character source is valid: \(source)")

        // cloudevent.json: id is at most 200 characters, in binary mode as in structured mode.
        let longID = String(repeating: "e", count: 201)
        let structured = decoder.decode(value: Self.event(["id": Self.quoted(longID)]))
        let binary = decoder.decode(
            value: Array(#"{"conversation_id":"conv-1","message_id":"m1","text":"hi"}"#.utf8),
            headers: Self.binaryHeaders(replacing: ["ce_id": longID])
        )
        #expect(Self.failure(structured)?.code == .tooLarge)
        #expect(Self.failure(binary)?.code == .tooLarge, "binary mode accepted a 201-character ce_id: \(binary)")

        // support.message.bot.json: every source is a document id of 1 to 200 characters.
        let longSourceID = String(repeating: "k", count: 201)
        let bot = decoder.decode(value: Self.event(EventType.botMessage, #"{"conversation_id":"conv-1","message_id":"m2","text":"t","sources":["\#(longSourceID)"]}"#))
        #expect(Self.failure(bot)?.code == .tooLarge, "a 201-character source id was accepted")

        // support.agent.status.json: queue names are 1 to 200 characters.
        let agent = decoder.decode(value: Self.event(EventType.agentStatus, #"{"agent_id":"a1","status":"available","queues":[""]}"#))
        #expect(Self.failure(agent)?.code == .invalidValue, "an empty queue name was accepted")
    }
}
