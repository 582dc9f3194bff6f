import Testing
@testable import HandoffCore

@Suite("Fact guard")
struct FactGuardTests {
    let time = Timestamp(rfc3339: "2026-11-26T10:00:00Z")!
    var transcript: [TranscriptEntry] {
        [
            TranscriptEntry(messageID: "m1", role: .customer, text: "my order A-10023 never came, I paid 129,99 € on 20.11.2026", time: time),
            TranscriptEntry(messageID: "m2", role: .bot, text: "Standard delivery takes 3-5 days.", time: time),
            TranscriptEntry(messageID: "m3", role: .customer, text: "tracking says label created", time: time),
        ]
    }

    @Test("facts are kept only where the cited message holds them, after normalisation")
    func facts() {
        let verdict = FactGuard().check(facts: [
            .init(kind: "order_number", value: "A10023", messageID: "m1"),
            .init(kind: "amount", value: "€129.99", messageID: "m1"),
            .init(kind: "order_number", value: "A-10024", messageID: "m1"),
            .init(kind: "order_number", value: "A-10023", messageID: "m3"),
            .init(kind: "date", value: "20.11.2026", messageID: "m9"),
        ], freeText: [:], transcript: transcript)
        #expect(verdict.kept.map(\.value) == ["A10023", "€129.99"])
        #expect(verdict.dropped.map(\.fact.value) == ["A-10024", "A-10023", "20.11.2026"])
        #expect(verdict.dropped[1].reason.contains("m3"), "cited the wrong message")
        #expect(verdict.dropped[2].reason.contains("not in the transcript"))
        #expect(verdict.retention == 0.4)
    }

    @Test("sentences with a figure the transcript does not have are removed; the rest stays")
    func freeText() {
        let verdict = FactGuard().check(facts: [], freeText: [
            "issue": "Order A-10023 has not arrived. The customer paid 149.99 EUR. Tracking shows label created.",
            "goal": "Get the parcel delivered.",
        ], transcript: transcript)
        #expect(verdict.freeText["issue"] == "Order A-10023 has not arrived. Tracking shows label created.")
        #expect(verdict.freeText["goal"] == "Get the parcel delivered.")
        #expect(verdict.removedSentences.map(\.unsupported) == ["149.99"])
        #expect(verdict.retention == 1, "no facts proposed")
    }
}
