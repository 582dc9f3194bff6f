import Foundation
import Testing
@testable import HandoffCore

@Suite("Message analysis worked out ahead")
struct MessageAnalysisTests {
    @Test("an engine given each message's analysis ahead decides, publishes and stores exactly what it works out itself")
    func aheadIsTheSame() throws {
        var itself = Engine(policy: EscalationPolicy())
        var ahead = Engine(policy: EscalationPolicy())
        var analysed = 0
        var outputs = 0
        var offset: Int64 = 0
        for (file, line) in try ExampleLines.all() {
            offset += 1
            let value = Array(line.utf8)
            let origin = RecordOrigin(topic: "support.conversations", partition: 0, offset: offset)
            let outcome = ahead.decoder.decode(value: value, headers: [], keyBytes: nil)
            var analysis: MessageAnalysis?
            if case .conversation(let event) = outcome { analysis = MessageAnalysis(event) }
            if analysis != nil { analysed += 1 }
            let expected = itself.process(value: value, key: nil, origin: origin, now: nil)
            let got = ahead.process(decoded: outcome, analysis: analysis, value: value, key: nil, origin: origin, now: nil)
            #expect(got.outputs.map { String(decoding: $0.envelopeBytes(source: "test"), as: UTF8.self) } == expected.outputs.map { String(decoding: $0.envelopeBytes(source: "test"), as: UTF8.self) },
                    "\(file): \(line.prefix(80))")
            #expect(got.ignored == expected.ignored)
            outputs += expected.outputs.count
        }
        #expect(analysed >= 50, "the examples' messages were analysed ahead")
        #expect(outputs >= 30, "and they made the machine speak")
        #expect(itself.conversations.count == ahead.conversations.count)
        for (id, machine) in itself.conversations {
            #expect(ahead.conversations[id]?.state.storageBytes == machine.state.storageBytes, "\(id)")
        }
    }

    @Test("only messages have text to analyse")
    func onlyMessages() {
        let time = Timestamp(rfc3339: "2026-11-26T09:00:00Z")!
        func event(_ payload: ConversationEvent.Payload) -> ConversationEvent {
            ConversationEvent(id: "e", source: "s", time: time, conversationID: "c", payload: payload)
        }
        #expect(MessageAnalysis(event(.customerMessage(messageID: "m1", text: "I want a refund for order 12345")))?.customer?.scores.byCategory[.refund] != nil)
        #expect(MessageAnalysis(event(.botMessage(.init(messageID: "m2", text: "I cannot help with that.", sources: [], confidence: nil))))?.bot?.cues.cannotHelp == true)
        #expect(MessageAnalysis(event(.handoffRequested(messageID: nil))) == nil)
    }
}

@Suite("Stems and their similarity")
struct StemsTests {
    @Test("stems are kept once each, in ascending order, however they came")
    func sortedAndDistinct() {
        #expect(Stems(["refun", "order", "refun", "zahlu", "order", "abc"]).sorted == ["abc", "order", "refun", "zahlu"])
        #expect(Stems([]).isEmpty && Stems(["x", "x", "x"]).sorted == ["x"])
        let text = NormalizedText("Your refund for order A-1 was refunded; the refund order is pending, pending, pending.")
        #expect(Similarity.stems(text).sorted == Set(Similarity.stems(text).sorted).sorted())
    }

    @Test("the stems two have in common, counted by walking both, are those of the sets' intersection")
    func sharedCountIsTheIntersection() {
        var generator = SystemRandomNumberGenerator()
        let pool = ["aa", "ab", "b", "ba", "c", "dd", "e", "grüße", "日本", "zz"]
        for _ in 0..<500 {
            let left = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
            let right = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
            #expect(Stems(left).sharedCount(with: Stems(right)) == Set(left).intersection(Set(right)).count, "\(left) \(right)")
        }
        let answer = NormalizedText("Standard delivery takes 3-5 business days after dispatch.")
        let reworded = NormalizedText("Delivery usually takes 3-5 business days once the parcel is dispatched.")
        // stand, deliv, takes, busin, days, after, dispa and deliv, usual, takes, busin, days, once, parce, dispa: 5 shared of 7 and 8.
        #expect(Similarity.stems(answer).count == 7 && Similarity.stems(reworded).count == 8)
        #expect(Similarity.dice(Similarity.stems(answer), Similarity.stems(reworded)) == 2 * 5 / Double(7 + 8))
    }
}
