import Testing
@testable import HandoffCore

@Suite("Conversation state, stored and read back")
struct ConversationStateCodecTests {
    func roundTrip(_ state: ConversationState) throws -> ConversationState {
        let bytes = JSONWriter.bytes(state.storageJSON)
        return try ConversationState(storageJSON: try JSONParser.parse(bytes))
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
        var json = ConversationState(conversationID: "c").storageJSON
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
}
