import Foundation
import HandoffCore
import Testing
@testable import HandoffService

@Suite("Replay figures and what-if comparison")
struct ReplayFiguresTests {
    static func allExamples() throws -> String {
        try ReplayTests.files().map { try String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    @Test("the figures of the example conversations are what their events say")
    func exampleFigures() throws {
        let figures = ReplayTests.replay(try Self.allExamples()).figures
        let expected = try JSONParser.parse(Array(try Data(contentsOf: ReplayTests.examples.appendingPathComponent("expected.json"))))
        guard case .object(let conversations) = expected else { Issue.record("expected.json"); return }
        let escalating = conversations.values.filter { $0["escalates"] == .bool(true) }.count
        #expect(figures.conversationsStarted == conversations.count)
        #expect(figures.conversationsEscalated == escalating)
        #expect(figures.handoffsCreated == escalating)
        #expect(figures.escalationRate == Double(escalating) / Double(conversations.count))
        // Ended: 01 resolved, 09 resolved, 12 resolved (bot alone), 10 resolved after a person, 13? see its file.
        #expect(figures.deflected == 3)
        #expect(figures.conversationsEnded == 5)
        #expect(figures.offersMade == 2)
        #expect(figures.offerAnswers == ["declined": 1])
        #expect(figures.reasons["explicit_request"] == 4)
        #expect(figures.reasons["sensitive_topic"] == 3)
        #expect(figures.categories["legal"] == 1)
        #expect(figures.secondsFromStart.count == escalating)
        #expect(figures.secondsFromFirstSignal.allSatisfy { $0 >= 0 })
        #expect(figures.csatWithHuman == [5], "the handback conversation was rated after a person helped")
        #expect(figures.deadLetters == 0)
    }

    @Test("time to escalation counts from the first unsuccessful reply, and from the start")
    func timeToEscalation() throws {
        func line(_ n: Int, _ type: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"e\#(n)","source":"s","type":"\#(type)","time":"2026-11-26T10:0\#(n):00Z","subject":"c","data":{"conversation_id":"c"\#(data)}}"#
        }
        let lines = [
            line(0, EventType.conversationStarted, ##","customer_id":"x","channel":"web","locale":"en""##),
            line(1, EventType.customerMessage, ##","message_id":"m1","text":"how do I export my data as csv""##),
            line(2, EventType.botMessage, ##","message_id":"m2","text":"Use the menu.","sources":[],"confidence":0.9"##),
            line(4, EventType.handoffRequested, ""),
        ]
        let figures = ReplayTests.replay(lines.joined(separator: "\n")).figures
        #expect(figures.deadLetters == 0)
        // The ungrounded reply at 10:02 is the first signal; the handoff comes at 10:02 already
        // (a technical question answered without documents), so 0 s from the signal, 120 s from the start.
        #expect(figures.secondsFromFirstSignal == [0])
        #expect(figures.secondsFromStart == [120])
    }

    @Test("two known policies are compared row by row, and the conversations that differ are named")
    func comparison() throws {
        let text = try Self.allExamples()
        var lenient = HandoffdConfiguration()
        lenient.policy.explicitRequest.enabled = false
        let first = ReplayTests.replay(text)
        let second = ReplayTests.replay(text, configuration: lenient)
        let output = ReportFormatter.comparison(first, second, names: ("current", "no-explicit"))
        #expect(output.contains("handed off only under current: conv-button-013, conv-fr-011, conv-handback-010, conv-human-002"))
        #expect(output.contains("handed off only under no-explicit: none"))
        let escalation = try #require(output.split(separator: "\n").first { $0.contains("escalation rate") })
        #expect(escalation.hasPrefix("*"), "a row that differs is marked")
        #expect(escalation.contains("10 escalated (76.9 %)") && escalation.contains("6 escalated (46.2 %)"))
        let deadLetters = try #require(output.split(separator: "\n").first { $0.contains("dead letters") })
        #expect(deadLetters.hasPrefix(" "), "a row that is equal is not marked")
    }

    @Test("the JSON report carries the same figures")
    func jsonReport() throws {
        let figures = ReplayTests.replay(try Self.allExamples()).figures
        let json = ReportFormatter.json(figures, policyVersion: "v1")
        #expect(json["conversations_escalated"]?.intValue == figures.conversationsEscalated)
        #expect(json["deflection_rate"]?.numberValue == figures.deflectionRate)
        #expect(json["reasons"]?["sensitive_topic"]?.intValue == 3)
        #expect(json["policy_version"]?.stringValue == "v1")
    }
}
