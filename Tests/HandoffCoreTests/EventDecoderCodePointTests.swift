import Testing
@testable import HandoffCore

@Suite("Decoder limits count code points, like the schemas")
struct EventDecoderCodePointTests {
    func customerMessage(conversation: String, text: String) -> [UInt8] {
        let data: JSONValue = .object(["conversation_id": .string(conversation), "message_id": .string("m1"), "text": .string(text)])
        let envelope: JSONValue = .object(["specversion": .string("1.0"), "id": .string("e1"), "source": .string("s"), "type": .string(EventType.customerMessage),
                                           "time": .string("2026-11-26T10:00:00Z"), "data": data])
        return JSONWriter.bytes(envelope)
    }

    @Test("an id of 150 skin-toned emoji is 300 code points: too long, though only 150 characters")
    func emojiID() {
        let id = String(repeating: "👍🏽", count: 150)
        #expect(id.count == 150 && id.unicodeScalars.count == 300)
        guard case .rejected(let failure) = EventDecoder().decode(value: customerMessage(conversation: id, text: "hi")) else {
            Issue.record("accepted an id of 300 code points"); return
        }
        #expect(failure.code == .tooLarge)
    }

    @Test("a text of combining sequences is measured in code points")
    func combiningText() {
        let text = String(repeating: "e\u{0301}", count: 10_001)
        guard case .rejected(let failure) = EventDecoder().decode(value: customerMessage(conversation: "c", text: text)) else {
            Issue.record("accepted 20 002 code points"); return
        }
        #expect(failure.reason.contains("data.text"))
    }

    @Test("an empty subject is refused")
    func emptySubject() {
        let line = #"{"specversion":"1.0","id":"e","source":"s","type":"support.handoff.requested","time":"2026-11-26T10:00:00Z","subject":"","data":{"conversation_id":"c"}}"#
        guard case .rejected(let failure) = EventDecoder().decode(value: Array(line.utf8)) else { Issue.record("accepted"); return }
        #expect(failure.code == .invalidValue)
    }
}
