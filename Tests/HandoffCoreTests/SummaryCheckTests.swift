import Foundation
import Testing
@testable import HandoffCore

@Suite("Reading a model's summary")
struct SummaryCheckTests {
    static let schemaFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/schemas/llm.summary.json")

    @Test("the schema sent to the model is protocols/schemas/llm.summary.json, and it bounds every string and array")
    func schemaMatchesProtocol() throws {
        func stripped(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members):
                return .object(members.filter { !["description", "$schema", "$id", "title"].contains($0.key) }.mapValues(stripped))
            case .array(let elements):
                return .array(elements.map(stripped))
            default:
                return value
            }
        }
        let file = try JSONParser.parse(Array(try Data(contentsOf: Self.schemaFile)))
        #expect(stripped(file) == SummarySchema.json)
        func checkBounded(_ schema: JSONValue, _ path: String) {
            switch schema["type"]?.stringValue {
            case "string":
                #expect(schema["maxLength"] != nil || schema["enum"] != nil, "\(path) has no maxLength")
            case "array":
                #expect(schema["maxItems"] != nil, "\(path) has no maxItems")
                if let items = schema["items"] { checkBounded(items, path + "[]") }
            case "object":
                #expect(schema["additionalProperties"] == .bool(false), "\(path) allows other fields")
                if case .object(let properties)? = schema["properties"] {
                    for (name, property) in properties { checkBounded(property, path + "." + name) }
                }
            default:
                break
            }
        }
        checkBounded(SummarySchema.json, "$")
    }

    @Test("schema check: types, required, extra fields, lengths, counts, enums and anchored patterns")
    func schemaCheck() throws {
        let schema = try JSONParser.parse(#"{"type":"object","additionalProperties":false,"required":["a","b"],"properties":{"a":{"type":"string","maxLength":3,"pattern":"^m[0-9]{1,3}$"},"b":{"type":"array","maxItems":1,"items":{"type":"string","enum":["x","y"]}}}}"#)
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":"m12","b":["x"]}"#), against: schema).isEmpty)
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":"m1234","b":[]}"#), against: schema).count == 2, "too long and m + 4 digits")
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":"x1","b":["z","x"]}"#), against: schema).count == 3)
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":"m1"}"#), against: schema) == ["$: b is missing"])
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":"m1","b":[],"c":1}"#), against: schema) == ["$: c is not allowed"])
        #expect(SchemaCheck.violations(of: try JSONParser.parse(#"{"a":5,"b":[]}"#), against: schema) == ["$.a: expected string, got number"])
        #expect(AnchoredPattern("^[a-z]{2}$").matches("de"))
        #expect(!AnchoredPattern("^[a-z]{2}$").matches("DE"))
        #expect(!AnchoredPattern("^[a-z]{2}$").matches("deu"))
        #expect(!AnchoredPattern("m[0-9]").matches("m1"), "unanchored patterns are not ours: refused")
    }

    static func transcript() -> [TranscriptEntry] {
        [
            TranscriptEntry(messageID: "c-1", role: .customer, text: "Order A-10023 for €129.99 never came.", time: Timestamp(millisecondsSinceEpoch: 0)),
            TranscriptEntry(messageID: "c-2", role: .bot, text: "Parcels take 3-5 days.", time: Timestamp(millisecondsSinceEpoch: 1)),
            TranscriptEntry(messageID: "c-3", role: .customer, text: "It has been 9 days. Write to me at ann@example.org", time: Timestamp(millisecondsSinceEpoch: 2)),
        ]
    }

    static func job() -> SummaryJob {
        let fallback = ExtractiveSummarizer().summarize(state: ConversationState(conversationID: "c"), reasons: [], category: .orderStatus, language: "en")
        return SummaryJob(conversationID: "c", transcript: transcript(), reasons: ["Customer asked about c-3."], category: .orderStatus, language: "fr", fallback: fallback)
    }

    static func answer(_ members: [String: JSONValue]) -> String {
        var base: [String: JSONValue] = [
            "goal": .string("Get order A-10023."), "issue": .string("Not delivered after 9 days."), "bot_tried": .array([]),
            "sentiment": .string("negative"), "key_facts": .array([]), "open_questions": .array([]), "language": .string("fr"),
            "suggested_reply": .string("Bonjour, je regarde votre commande A-10023."),
        ]
        base.merge(members) { $1 }
        return JSONWriter.string(.object(base))
    }

    @Test("the prompt labels messages m1…, maps ids in the reasons to labels, names both languages, and redacts the e-mail")
    func prompt() throws {
        let request = SummaryPrompt(model: "m", agentLanguage: "de").request(for: Self.job())
        #expect(request.labels == ["m1": "c-1", "m2": "c-2", "m3": "c-3"])
        let user = try #require(request.body["messages"]?.arrayValue?.last?["content"]?.stringValue)
        #expect(user.contains("Customer asked about m3."))
        #expect(user.contains("in German (de)") && user.contains("in French (fr)"))
        #expect(!user.contains("ann@example.org") && user.contains("[EMAIL_1]"))
        #expect(request.body["max_tokens"] == .number(1500) && request.body["temperature"] == .number(0) && request.body["seed"] == .number(42))
    }

    @Test("a fact is kept only if its value occurs in the message it cites; figures in free text must occur in the transcript")
    func factGuard() throws {
        let job = Self.job()
        let request = SummaryPrompt(model: "m").request(for: job)
        let content = Self.answer([
            "key_facts": .array([
                .object(["kind": .string("order_number"), "value": .string("a10023"), "message": .string("m1")]),
                .object(["kind": .string("amount"), "value": .string("129,99 €"), "message": .string("m1")]),
                .object(["kind": .string("amount"), "value": .string("€129.99"), "message": .string("m3")]),
                .object(["kind": .string("email"), "value": .string("[EMAIL_1]"), "message": .string("m3")]),
            ]),
            "issue": .string("Not delivered after 9 days. The customer was promised a refund of €50."),
        ])
        let result = SummaryVerifier().read(content: content, finishReason: "stop", request: request, job: job, extractive: job.fallback)
        let (summary, figures) = try result.get()
        #expect(summary.source == "llm")
        #expect(summary.keyFacts.map(\.value) == ["a10023", "129,99 €", "ann@example.org"], "normalised match; the amount cited from the wrong message is dropped")
        #expect(figures.factsProposed == 4 && figures.factsKept == 3)
        #expect(summary.issue == "Not delivered after 9 days.")
        #expect(figures.sentencesRemoved == 1)
        #expect(summary.language == "en", "the broker's language, not the model's claim")
    }

    @Test("a cut-off, non-JSON or off-schema answer is unusable (asked again), never half-used")
    func unusable() throws {
        let job = Self.job()
        let request = SummaryPrompt(model: "m").request(for: job)
        let verifier = SummaryVerifier()
        let good = Self.answer([:])
        #expect(throws: SummaryVerifier.Unusable.self) { try verifier.read(content: good, finishReason: "length", request: request, job: job, extractive: job.fallback).get() }
        #expect(throws: SummaryVerifier.Unusable.self) { try verifier.read(content: "{\"goal\":", finishReason: "stop", request: request, job: job, extractive: job.fallback).get() }
        #expect(throws: SummaryVerifier.Unusable.self) {
            try verifier.read(content: Self.answer(["sentiment": .string("furious")]), finishReason: "stop", request: request, job: job, extractive: job.fallback).get()
        }
        #expect(throws: SummaryVerifier.Unusable.self) {
            try verifier.read(content: Self.answer(["key_facts": .array([.object(["kind": .string("other"), "value": .string("x"), "message": .string("message 1")])])]),
                              finishReason: "stop", request: request, job: job, extractive: job.fallback).get()
        }
    }

    @Test("a summary written ahead is adopted only while it covers the transcript; the broker's fields stay")
    func adopting() throws {
        let job = Self.job()
        let request = SummaryPrompt(model: "m").request(for: SummaryJob(conversationID: "c", transcript: Array(job.transcript.prefix(2)), reasons: [],
                                                                         category: .orderStatus, language: "en", fallback: job.fallback))
        let (ahead, _) = try SummaryVerifier().read(content: Self.answer(["key_facts": .array([.object(["kind": .string("order_number"), "value": .string("A-10023"), "message": .string("m1")])]),
                                                                          "issue": .string("Not delivered.")]),
                                                    finishReason: "stop", request: request, job: job, extractive: job.fallback).get()
        #expect(ahead.assisted?.coversThrough == "c-2")
        #expect(ahead.covers(job.transcript))
        let longer = job.transcript + [TranscriptEntry(messageID: "c-4", role: .bot, text: "x", time: Timestamp(millisecondsSinceEpoch: 3)),
                                       TranscriptEntry(messageID: "c-5", role: .customer, text: "y", time: Timestamp(millisecondsSinceEpoch: 4))]
        #expect(!ahead.covers(longer), "three messages the model never saw")
        var decided = job.fallback
        decided.escalationReason = "decided at the handoff"
        let adopted = decided.adopting(ahead, transcript: Array(job.transcript.dropFirst()))
        #expect(adopted.escalationReason == "decided at the handoff")
        #expect(adopted.source == "llm" && adopted.issue == "Not delivered.")
        #expect(adopted.keyFacts.isEmpty && adopted.factsDropped == 1, "its fact cites a message no longer in the transcript")
    }

    @Test("a summary attached before publication is part of revision 1; after, it is revision 2; to another handoff, nothing")
    func attach() throws {
        var script = ConversationScript()
        script.customer("I want to speak to a human please")
        let handoff = try #require(script.machine.state.handoff)
        var summary = handoff.summary
        summary.source = "llm"
        summary.goal = "model goal"
        var machine = script.machine
        #expect(machine.attachSummary(summary, handoffID: handoff.id, published: false, now: script.time).isEmpty)
        #expect(machine.state.handoff?.summary.goal == "model goal" && machine.state.handoff?.revision == 1)
        let update = machine.attachSummary(summary, handoffID: handoff.id, published: true, now: script.time)
        guard case .emit(let output)? = update.first else { Issue.record("no update"); return }
        #expect(output.type == EventType.handoffUpdated && output.id == "\(handoff.id)/r2")
        guard case .ignored? = machine.attachSummary(summary, handoffID: "ho_other", published: true, now: script.time).first else { Issue.record("accepted"); return }

        // The summary survives the changelog.
        let restored = try ConversationState(storageJSON: try JSONParser.parse(machine.state.storageBytes))
        #expect(restored == machine.state)
    }

    @Test("texts that end in a carriage return or start with a combining mark keep their own line and label")
    func awkwardTexts() throws {
        let transcript = ["hi\r", "\u{301}accent first", "mail me at a@b.org\r", "ok"].enumerated().map { index, text in
            TranscriptEntry(messageID: "x\(index)", role: index % 2 == 0 ? .customer : .bot, text: text, time: Timestamp(millisecondsSinceEpoch: Int64(index)))
        }
        let job = SummaryJob(conversationID: "c", transcript: transcript, reasons: [], category: .other, language: "en", fallback: Self.job().fallback)
        let request = SummaryPrompt(model: "m").request(for: job)
        let user = try #require(request.body["messages"]?.arrayValue?.last?["content"]?.stringValue)
        let lines = user.split(separator: "\n").filter { $0.hasPrefix("{\"ref\"") }
        #expect(lines.count == 4)
        #expect(!user.contains("a@b.org") && request.redaction.values["[EMAIL_1]"] == "a@b.org")
    }
}
