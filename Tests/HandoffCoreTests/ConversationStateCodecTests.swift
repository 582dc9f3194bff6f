import Foundation
import Testing
@testable import HandoffCore

@Suite("Conversation state, stored and read back")
struct ConversationStateCodecTests {
    func roundTrip(_ state: ConversationState) throws -> ConversationState {
        try ConversationState(storageJSON: try JSONParser.parse(state.storageBytes))
    }

    @Test("a conversation in the middle of things comes back equal, and decides the same afterwards")
    func midConversation() throws {
        var script = ConversationScript(tier: "premium")
        script.customer("where is my order A-10023? paid €129.99")
        script.bot("Parcels take 3-5 days.", confidence: 0.7)
        script.feedback(helpful: false)
        script.customer("it has been 9 days, this is useless")
        script.bot("Please check the tracking link.", sources: [], confidence: 0.4)
        let restored = try roundTrip(script.machine.state)
        #expect(restored == script.machine.state)

        // The restored machine takes the next event exactly as the original does.
        var copy = script
        copy.machine = ConversationMachine(state: restored)
        let original = script.bot("Winter deliveries can take longer.", sources: [], confidence: 0.9)
        let fromRestored = copy.bot("Winter deliveries can take longer.", sources: [], confidence: 0.9)
        #expect(original == fromRestored)
        #expect(original.contains { $0.type == EventType.handoffCreated }, "the third unsuccessful reply hands over in both")
    }

    @Test("an open handoff survives: updates continue its revisions")
    func withHandoff() throws {
        var script = ConversationScript()
        script.customer("I want to talk to a person about my invoice INV-2025-0342")
        script.send(.handoffAccepted(handoffID: nil, agentID: "agent-7"))
        let restored = try roundTrip(script.machine.state)
        #expect(restored == script.machine.state)
        #expect(restored.handoff?.revision == 2)
        #expect(restored.botPaused)
    }

    @Test("a state of another version or with a missing field is refused with the field named")
    func refusals() throws {
        var json = try JSONParser.parse(ConversationState(conversationID: "c").storageBytes)
        if case .object(var members) = json {
            members["v"] = .number(99)
            json = .object(members)
        }
        #expect(throws: StateDecodingError.self) { try ConversationState(storageJSON: json) }
        do {
            _ = try ConversationState(storageJSON: .object(["v": .number(1)]))
            Issue.record("accepted a state without a conversation id")
        } catch {
            #expect(error.field == "conversation_id")
        }
    }

    @Test("the stored bytes are those earlier versions wrote through a JSON tree, for every example conversation after every event")
    func bytesWrittenStraight() throws {
        var engine = Engine(policy: EscalationPolicy())
        var compared = 0
        var seen = (handoffs: 0, evidence: 0, replies: 0)
        var offset: Int64 = 0
        for (file, line) in try ExampleLines.all() {
            offset += 1
            let result = engine.process(value: Array(line.utf8), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: offset), now: nil)
            guard let state = result.conversationID.flatMap({ engine.conversations[$0]?.state }) else { continue }
            #expect(String(decoding: state.storageBytes, as: UTF8.self) == JSONWriter.string(state.referenceStorageJSON), "\(file): \(line.prefix(80))")
            compared += 1
            if state.handoff != nil { seen.handoffs += 1 }
            if !state.topics.evidence.isEmpty { seen.evidence += 1 }
            if state.replies.contains(where: { $0.confidence != nil && $0.similarityToPrevious > 0 }) { seen.replies += 1 }
        }
        #expect(compared >= 90)
        #expect(seen.handoffs > 0 && seen.evidence > 0 && seen.replies > 0, "every part of the state was compared: \(seen)")
        // A pending callback (the examples book none without a queue advisor), facts of messages that left
        // the transcript (no example is that long), text that needs escaping, and the empty state.
        var other = ConversationState(conversationID: "c-\"1\"")
        other.earlierKeyFacts = [Summary.KeyFact(kind: .orderNumber, value: "A-1", messageID: "m1"), Summary.KeyFact(kind: .email, value: "a@b.org", messageID: "m2")]
        other.goal = "line\nbreak \\ and \u{1}"
        let time = Timestamp(rfc3339: "2026-11-26T09:00:00Z")!
        let slot = CallbackSlot(start: time, end: time.adding(milliseconds: 900_000))
        other.callbacks = [PendingCallback(id: "cb-1", queue: "tier1", contactRef: "ref-1", timeZone: "Europe/Berlin", windows: [slot], attempt: 1,
                                           slot: slot, status: .scheduled, requestedAt: time)]
        #expect(other.storageBytes == JSONWriter.bytes(other.referenceStorageJSON))
        #expect(ConversationState(conversationID: "c").storageBytes == JSONWriter.bytes(ConversationState(conversationID: "c").referenceStorageJSON))
    }

    @Test("a handoff is stored in exactly the bytes of its wire form, with every optional member set and text that needs escaping")
    func handoffStreamedAsItsWireForm() throws {
        var script = ConversationScript(tier: "vip")
        script.customer("My order \"A-1\" arrived broken,\nI want a refund of 20 €")
        script.bot("I am sorry to hear that.")
        script.customer("please get me a human")
        var handoff = try #require(script.machine.state.handoff)
        let time = Timestamp(rfc3339: "2026-11-26T09:30:00.250Z")!
        handoff.agentID = "agent-7"
        handoff.targetMissedAt = time
        handoff.waitEstimate = WaitEstimate(seconds: 125.4, p10: 60, p90: 300, position: 3, method: .queueLength, estimatedAt: time)
        handoff.revision = 4
        #expect(handoff.customerTier == "vip" && !handoff.reasons.isEmpty && handoff.transcript.first?.text.contains("\n") == true)
        var out = JSONStreamWriter(capacity: 0)
        handoff.write(into: &out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == JSONWriter.string(handoff.json))
        handoff.agentID = nil
        handoff.customerTier = nil
        handoff.waitEstimate = nil
        handoff.targetMissedAt = nil
        var bare = JSONStreamWriter(capacity: 0)
        handoff.write(into: &bare)
        #expect(String(decoding: bare.bytes, as: UTF8.self) == JSONWriter.string(handoff.json))
    }
}
