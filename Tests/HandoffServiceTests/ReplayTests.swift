import Foundation
import HandoffCore
import Testing
@testable import HandoffService

/// The example conversations of protocols/examples, replayed, against protocols/examples/expected.json.
@Suite("Replay of the example conversations")
struct ReplayTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/examples")

    static func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: examples, includingPropertiesForKeys: nil).filter { $0.pathExtension == "jsonl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func replay(_ text: String, configuration: HandoffdConfiguration = HandoffdConfiguration()) -> Replayer.Report {
        Replayer(configuration: configuration).run(lines: text.split(separator: "\n", omittingEmptySubsequences: false), name: "test")
    }

    static func outputs(_ report: Replayer.Report) throws -> [JSONValue] {
        try report.lines.map { try JSONParser.parse($0.dropLast().map { $0 }) }
    }

    @Test("each example escalates (or not) as expected, for the expected reasons, category and language")
    func examplesMatchExpectations() throws {
        let expected = try JSONParser.parse(Array(try Data(contentsOf: Self.examples.appendingPathComponent("expected.json"))))
        guard case .object(let conversations) = expected else { Issue.record("expected.json is not an object"); return }
        #expect(conversations.count >= 12)
        for (conversation, expectation) in conversations {
            guard case .string(let file)? = expectation["file"] else { Issue.record("\(conversation): no file"); continue }
            let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
            let outputs = try Self.outputs(Self.replay(text))
            let created = outputs.filter { $0["type"] == .string(EventType.handoffCreated) }
            let escalates = expectation["escalates"] == .bool(true)
            if case .number(let count)? = expectation["handoffs"] {
                #expect(created.count == Int(count), "\(conversation): \(created.count) handoffs")
            } else {
                #expect(created.isEmpty != escalates, "\(conversation)")
            }
            guard escalates, let first = created.first?["data"] else { continue }
            if case .array(let reasons)? = expectation["reasons"] {
                let codes = Set((first["reasons"]?.arrayValue ?? []).compactMap { $0["code"] })
                #expect(reasons.contains { codes.contains($0) }, "\(conversation): reasons \(codes) vs expected any of \(reasons)")
            }
            if let category = expectation["category"], category != .null { #expect(first["category"] == category, "\(conversation)") }
            if let language = expectation["language"], language != .null { #expect(first["language"] == language, "\(conversation)") }
            if case .string(let notBefore)? = expectation["escalate_not_before"] {
                let trigger = first["trigger_event_id"]?.stringValue ?? ""
                let order = text.split(separator: "\n").compactMap { line -> String? in
                    guard let event = try? JSONParser.parse(String(line)), case .string(let id)? = event["id"] else { return nil }
                    return id
                }
                #expect((order.firstIndex(of: trigger) ?? -1) >= (order.firstIndex(of: notBefore) ?? Int.max), "\(conversation) escalated too early at \(trigger)")
            }
        }
    }

    @Test("the same input gives byte-identical output")
    func deterministic() throws {
        let text = try Self.files().map { try String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
        let first = Self.replay(text)
        let second = Self.replay(text)
        #expect(!first.lines.isEmpty)
        #expect(first.lines == second.lines)
    }

    @Test("malformed lines become dead letters with their reason and the good events around them still count")
    func deadLetters() throws {
        let good = try String(contentsOf: Self.examples.appendingPathComponent("02-asks-for-human.jsonl"), encoding: .utf8).split(separator: "\n")
        let bad = ["not json at all", "[1,2,3]", #"{"specversion":"1.0","id":"x","source":"s","type":"support.message.customer","time":"2026-11-26T10:00:00Z","data":{"conversation_id":"c","message_id":"m"}}"#]
        let lines = [good[0]] + bad.map { Substring($0) } + good.dropFirst()
        let report = Self.replay(lines.joined(separator: "\n"))
        let outputs = try Self.outputs(report)
        let deadLetters = outputs.filter { $0["type"] == .string(EventType.deadLetter) }
        #expect(deadLetters.map { $0["data"]?["reason_code"] } == [.string("not_json"), .string("not_cloudevent"), .string("missing_field")])
        #expect(deadLetters[2]["data"]?["reason"] == .string("required field 'data.text' is missing"))
        #expect(deadLetters[0]["data"]?["original_base64"] == .string(Base64.encode(Array("not json at all".utf8))))
        #expect(deadLetters[0]["data"]?["offset"] == .number(2))
        #expect(outputs.contains { $0["type"] == .string(EventType.handoffCreated) })
    }

    @Test("the report lists every handoff, a conversation escalated twice included, with its latest status")
    func reportListsEveryHandoff() {
        func event(_ id: String, _ type: String, _ data: String = "") -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"s","type":"\#(type)","time":"2026-11-26T10:00:0\#(id.suffix(1))Z","subject":"c1","data":{"conversation_id":"c1"\#(data)}}"#
        }
        let lines = [event("e1", EventType.handoffRequested), event("e2", EventType.handoffCompleted, #","handback":true"#), event("e3", EventType.handoffRequested)]
        let report = Self.replay(lines.joined(separator: "\n"))
        #expect(report.handoffs.map(\.status) == ["completed", "waiting"])
        #expect(Set(report.handoffs.map(\.handoffID)).count == 2)
        #expect(ReportFormatter.replaySummary(report, policyVersion: "p").contains("handoffs: 2 created"))
    }

    @Test("a policy change changes the outcome: with the explicit-request rule off, asking for a person alone does not hand over")
    func policyWhatIf() throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent("02-asks-for-human.jsonl"), encoding: .utf8)
        var configuration = HandoffdConfiguration()
        configuration.policy.explicitRequest.enabled = false
        #expect(Self.replay(text).counters.outputsByType[EventType.handoffCreated] == 1)
        #expect(Self.replay(text, configuration: configuration).counters.outputsByType[EventType.handoffCreated] == nil)
    }
}
