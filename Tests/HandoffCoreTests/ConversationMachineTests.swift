import Testing
@testable import HandoffCore

@Suite("Escalation rules")
struct EscalationRuleTests {
    @Test("asking for a person hands over at once, with the request as evidence")
    func explicitRequest() throws {
        var script = ConversationScript()
        script.customer("my invoice is wrong")
        script.bot("You can find invoices under Billing.")
        let emitted = script.customer("can I talk to a real person please")
        #expect(emitted.map(\.type) == [EventType.handoffCreated, EventType.handoffAnnounced, EventType.botPaused])
        let handoff = try #require(script.machine.state.handoff)
        #expect(handoff.reasons.map(\.code) == [.explicitRequest])
        #expect(handoff.reasons[0].evidence == ["m4"])
        #expect(handoff.status == .waiting)
        #expect(handoff.category == .billing)
        #expect(handoff.queue == "billing")
        #expect(emitted[0].id == "\(handoff.id)/r1")
        #expect(emitted[0].key == "conv-1")
    }

    @Test("questions about the bot and person words used otherwise do not hand over",
          arguments: ["are you a bot?", "is this an AI or a human?", "where do I find my agent ID?", "the travel agent booked it for me",
                      "I am a real person, why do you need a captcha", "human resources sent me a letter"])
    func noFalsePositives(text: String) {
        var script = ConversationScript()
        script.customer(text)
        #expect(script.handoffs.isEmpty, "\(text)")
    }

    @Test("requests for a person are recognised in the eight languages",
          arguments: ["I want to speak to a human", "Ich möchte mit einem Mitarbeiter sprechen", "Je voudrais parler à un conseiller",
                      "quiero hablar con un agente", "posso parlare con un operatore?", "ik wil een medewerker spreken",
                      "quero falar com um atendente", "chci mluvit s operátorem", "AGENT!!"])
    func multilingualRequest(text: String) {
        var script = ConversationScript()
        script.customer(text)
        #expect(script.reasonCodes == [.explicitRequest], "\(text)")
    }

    @Test("the button hands over without any text")
    func button() {
        var script = ConversationScript()
        script.send(.handoffRequested(messageID: nil))
        #expect(script.reasonCodes == [.explicitRequest])
    }

    @Test("sensitive topics always go to a person, in the right queue and priority",
          arguments: [
            ("I want a refund for the broken blender", Category.refund, "refunds", 2),
            ("my lawyer will contact you about this", .legal, "legal", 1),
            ("the phone is still under warranty, it stopped charging", .warranty, "warranty", 3),
            ("I want to file a formal complaint about your driver", .complaint, "complaints", 2),
            ("Ich will mein Geld zurück", .refund, "refunds", 2),
          ])
    func sensitiveTopic(text: String, category: Category, queue: String, priority: Int) throws {
        var script = ConversationScript()
        script.customer(text)
        let handoff = try #require(script.machine.state.handoff, "\(text)")
        #expect(handoff.reasons.map(\.code).contains(.sensitiveTopic))
        #expect(handoff.category == category)
        #expect(handoff.queue == queue)
        #expect(handoff.priority == priority)
    }

    @Test("after the second unsuccessful reply the bot offers a person once; the third hands over")
    func offerThenHandoff() throws {
        var script = ConversationScript()
        script.customer("where is my parcel")
        script.bot("Parcels take 3-5 days.")
        #expect(script.feedback(helpful: false).isEmpty)
        script.customer("it has been 9 days")
        script.bot("Parcels usually take 3-5 business days.")
        let offer = script.feedback(helpful: false)
        #expect(offer.map(\.type) == [EventType.escalationOffered])
        #expect(offer.first?.data["offer_id"] == .string("offer-conv-1-1"))
        script.customer("so where is it")
        script.bot("Please check the tracking link.")
        let handoff = script.feedback(helpful: false)
        #expect(handoff.first?.type == EventType.handoffCreated)
        #expect(script.outputs(ofType: EventType.escalationOffered).count == 1)
        #expect(script.reasonCodes.contains(.repeatedFailures))
        let reason = try #require(script.machine.state.handoff?.reasons.first { $0.code == .repeatedFailures })
        #expect(reason.signals["unsuccessful_replies"] == 3)
        #expect(reason.evidence.count == 3)
    }

    @Test("replies nobody judged count for nothing; a helpful one resets the count")
    func unknownRepliesDoNotCount() {
        var script = ConversationScript()
        let exchanges = [("how long does delivery to Spain take", "Delivery to Spain takes 3 days."),
                         ("and what about returns from Italy", "Returns from Italy are free within 30 days."),
                         ("do you ship furniture", "Yes, furniture ships by freight."),
                         ("can I pay by invoice", "Invoice payment is available for businesses."),
                         ("is there a student discount", "Students get 10 percent off with a valid card.")]
        for (question, answer) in exchanges {
            script.customer(question)
            script.bot(answer)
        }
        #expect(script.outputs.isEmpty)
        script.feedback(helpful: false)
        script.customer("next")
        script.bot("answer")
        script.feedback(helpful: false)
        #expect(script.outputs(ofType: EventType.escalationOffered).count == 1)
        script.customer("ok")
        script.bot("Anything else?")
        script.feedback(helpful: true)
        script.customer("another")
        script.bot("answer")
        script.feedback(helpful: false)
        #expect(script.handoffs.isEmpty, "a success in between resets the count")
    }

    @Test("strict mode counts unconfirmed replies as unsuccessful")
    func strictMode() {
        var policy = EscalationPolicy()
        policy.strict = true
        var strict = ConversationScript(policy: policy)
        var lenient = ConversationScript()
        let exchanges = [("hello, my order", "Your order ships tomorrow morning."), ("and the invoice", "Invoices arrive by e-mail after dispatch."),
                         ("and the manual", "The manual is inside the box."), ("and a fourth", "Customs fees are included in the price.")]
        for (question, answer) in exchanges {
            strict.customer(question); strict.bot(answer)
            lenient.customer(question); lenient.bot(answer)
        }
        strict.customer("hm")
        lenient.customer("hm")
        #expect(strict.reasonCodes.contains(.repeatedFailures))
        #expect(lenient.handoffs.isEmpty)
    }

    @Test("ungrounded replies are unsuccessful by themselves")
    func ungrounded() {
        var script = ConversationScript()
        for _ in 0..<3 {
            script.customer("what colours does the sofa come in")
            script.bot("It comes in many colours.", sources: [], confidence: 0.8)
        }
        #expect(script.reasonCodes.contains(.repeatedFailures))
    }

    @Test("low confidence twice in a row hands over; once does not")
    func lowConfidence() {
        var once = ConversationScript()
        once.customer("how do I change my delivery address")
        once.bot("Maybe in settings.", confidence: 0.3)
        once.customer("ok and the billing address?")
        once.bot("Under Account > Billing.", confidence: 0.9)
        once.customer("fine")
        once.bot("Glad to help.", confidence: 0.2)
        #expect(once.handoffs.isEmpty)

        var twice = ConversationScript()
        twice.customer("how do I change my delivery address")
        twice.bot("Maybe in settings.", confidence: 0.3)
        twice.bot("Or perhaps in your profile.", confidence: 0.4)
        #expect(twice.reasonCodes.contains(.lowConfidence))
    }

    @Test("low confidence once is enough on a sensitive topic")
    func lowConfidenceSensitive() {
        var policy = EscalationPolicy()
        policy.sensitiveTopic.enabled = false
        var script = ConversationScript(policy: policy)
        script.customer("I want a refund for order 12345")
        #expect(script.handoffs.isEmpty)
        script.bot("Refunds take 5 days.", confidence: 0.4)
        #expect(script.reasonCodes == [.lowConfidence])
    }

    @Test("a technical question answered without documents is beyond the documentation")
    func beyondDocumentation() throws {
        var script = ConversationScript()
        script.customer("our SAML SSO integration with Azure AD fails with error code AADSTS50011")
        script.bot("Please check your settings.", sources: [], confidence: 0.7)
        #expect(script.reasonCodes.contains(.beyondDocumentation))
        #expect(script.machine.state.handoff?.category == .technical)
    }

    @Test("the bot saying it cannot help hands over")
    func cannotHelp() {
        var script = ConversationScript()
        script.customer("can I pay with cheques?")
        script.bot("I'm sorry, I can't help with that question.")
        #expect(script.reasonCodes.contains(.beyondDocumentation))
    }

    @Test("insults and shouting are strong frustration")
    func frustration() {
        var script = ConversationScript()
        script.customer("where is my order")
        script.bot("It is on its way.")
        script.customer("THIS IS USELESS, YOU STUPID BOT!!!")
        #expect(script.reasonCodes.contains(.frustration))
        #expect(script.machine.state.handoff?.summary.sentiment == .angry)
        #expect(script.machine.state.handoff?.priority == 2, "order status is 3, raised one level for frustration")
    }

    @Test("the same answer re-worded is a dead end")
    func rewordedAnswers() {
        var policy = EscalationPolicy()
        policy.frustration.enabled = false
        policy.offer.enabled = false
        var script = ConversationScript(policy: policy)
        script.customer("my package hasn't arrived")
        script.bot("Standard delivery takes three to five business days after dispatch of your parcel.")
        script.customer("it was dispatched two weeks ago")
        script.bot("Delivery usually takes three to five business days after your parcel's dispatch.")
        #expect(script.handoffs.isEmpty)
        script.customer("yes but it's been two weeks")
        script.bot("After dispatch, standard delivery of a parcel takes three to five business days.")
        #expect(script.reasonCodes == [.deadEnd])
    }

    @Test("replies growing longer and longer are a dead end")
    func growingReplies() {
        var script = ConversationScript()
        let sentence = "Please make sure the router is plugged in and the cable is firmly connected. "
        for count in [2, 4, 8] {
            script.customer("internet still not good, light is orange")
            #expect(script.handoffs.isEmpty)
            script.bot(String(repeating: sentence, count: count))
        }
        #expect(script.reasonCodes.contains(.deadEnd))
    }

    @Test("three clarifying questions in a row are a dead end")
    func clarifyingQuestions() {
        var script = ConversationScript()
        script.customer("my thing doesn't work")
        script.bot("Could you tell me which product you mean?")
        script.customer("the speaker")
        script.bot("Which model of speaker do you have?")
        script.customer("the small one")
        #expect(script.handoffs.isEmpty)
        script.bot("Can you tell me the serial number?")
        #expect(script.reasonCodes.contains(.deadEnd))
    }

    @Test("a rule switched off does not fire")
    func ruleSwitchedOff() {
        var policy = EscalationPolicy()
        policy.explicitRequest.enabled = false
        var script = ConversationScript(policy: policy)
        script.customer("let me speak to a human")
        script.send(.handoffRequested(messageID: nil))
        #expect(script.handoffs.isEmpty)
    }
}

@Suite("Handoff lifecycle")
struct HandoffLifecycleTests {
    @Test("a conversation escalates once at a time; after handback it can escalate again with a new id")
    func onceAtATime() throws {
        var script = ConversationScript()
        script.customer("I want to talk to a person")
        script.customer("hello?? a human please")
        script.send(.handoffRequested(messageID: nil))
        #expect(script.handoffs.count == 1)
        let first = try #require(script.machine.state.handoff).id
        let accepted = script.send(.handoffAccepted(handoffID: nil, agentID: "agent-7"))
        #expect(accepted.map(\.type) == [EventType.handoffUpdated])
        #expect(accepted.first?.data["revision"] == .number(2))
        #expect(accepted.first?.data["agent_id"] == .string("agent-7"))
        let completed = script.send(.handoffCompleted(handoffID: first, agentID: "agent-7", handback: true))
        #expect(completed.map(\.type) == [EventType.handoffUpdated, EventType.botResumed])
        #expect(completed.first?.data["status"] == .string("completed"))
        script.customer("one more thing, can I speak to someone about my bill")
        #expect(script.handoffs.count == 2)
        #expect(script.machine.state.handoff?.id != first)
    }

    @Test("requeued goes back to waiting without an agent; abandoned resumes the bot")
    func requeueAndAbandon() throws {
        var script = ConversationScript()
        script.send(.handoffRequested(messageID: nil))
        script.send(.handoffAccepted(handoffID: nil, agentID: "agent-1"))
        let requeued = script.send(.handoffRequeued(handoffID: nil, agentID: "agent-1", reason: "shift ended"))
        #expect(requeued.first?.data["status"] == .string("requeued"))
        #expect(requeued.first?.data["agent_id"] == nil)
        let abandoned = script.send(.handoffAbandoned(handoffID: nil))
        #expect(abandoned.map(\.type) == [EventType.handoffUpdated, EventType.botResumed])
        #expect(abandoned.first?.data["revision"] == .number(4))
        #expect(script.machine.state.botPaused == false)
    }

    @Test("events naming another handoff, or none open, change nothing and say why")
    func wrongHandoff() {
        var script = ConversationScript()
        #expect(script.send(.handoffAccepted(handoffID: nil, agentID: "a")).isEmpty)
        script.send(.handoffRequested(messageID: nil))
        #expect(script.send(.handoffAccepted(handoffID: "ho_other", agentID: "a")).isEmpty)
        #expect(script.ignored.count == 2)
        #expect(script.ignored[1].contains("ho_other"))
    }

    @Test("a completed handoff without handback keeps the bot silent")
    func completedWithoutHandback() {
        var script = ConversationScript()
        script.send(.handoffRequested(messageID: nil))
        let completed = script.send(.handoffCompleted(handoffID: nil, agentID: "a", handback: false))
        #expect(completed.map(\.type) == [EventType.handoffUpdated])
    }

    @Test("a re-delivered event changes nothing")
    func redelivery() {
        var script = ConversationScript()
        let first = script.send(.handoffRequested(messageID: nil), id: "evt-button")
        let again = script.send(.handoffRequested(messageID: nil), id: "evt-button")
        #expect(first.count == 3)
        #expect(again.isEmpty)
        #expect(script.ignored.first?.contains("re-delivery") == true)
    }

    @Test("the handoff id depends only on the conversation and the triggering event")
    func deterministicID() throws {
        var one = ConversationScript("conv-x")
        var two = ConversationScript("conv-x")
        two.customer("hello")
        one.send(.handoffRequested(messageID: nil), id: "evt-trigger")
        two.send(.handoffRequested(messageID: nil), id: "evt-trigger")
        let idOne = try #require(one.machine.state.handoff?.id)
        #expect(idOne == two.machine.state.handoff?.id)
        #expect(idOne == Handoff.id(conversationID: "conv-x", triggerEventID: "evt-trigger"))
        #expect(idOne != Handoff.id(conversationID: "conv-y", triggerEventID: "evt-trigger"))
    }

    @Test("the announcement is in the conversation's language, English where we have none")
    func announcementLanguage() {
        var german = ConversationScript(locale: "de-AT")
        german.send(.handoffRequested(messageID: nil))
        #expect(german.outputs(ofType: EventType.handoffAnnounced).first?.data["language"] == .string("de"))
        var japanese = ConversationScript(locale: "ja-JP")
        japanese.send(.handoffRequested(messageID: nil))
        #expect(japanese.outputs(ofType: EventType.handoffAnnounced).first?.data["language"] == .string("en"))
        #expect(japanese.machine.state.handoff?.language == "ja")
    }

    @Test("the summary quotes the customer and keeps facts verbatim, the transcript is bounded")
    func summaryAndTranscript() throws {
        var policy = EscalationPolicy()
        policy.transcriptLimit = 4
        var script = ConversationScript(policy: policy, tier: "vip")
        script.customer("Hi, my order A-10023 for €129.99 arrived broken, can you check?")
        script.bot("Sorry to hear that.")
        script.customer("it was delivered on 2026-11-20")
        script.bot("I see.")
        script.customer("please get me a human")
        let handoff = try #require(script.machine.state.handoff)
        #expect(handoff.transcript.count == 4)
        #expect(handoff.transcript.last?.text == "please get me a human")
        #expect(handoff.summary.goal.hasPrefix("Hi, my order A-10023"))
        let facts = Set(handoff.summary.keyFacts.map { "\($0.kind.rawValue)=\($0.value)" })
        #expect(facts.isSuperset(of: ["order_number=A-10023", "amount=€129.99", "date=2026-11-20"]))
        // The first message's facts outlive it in the transcript, also in the stored state, in the order quoted.
        let state = script.machine.state
        #expect(!state.transcript.contains { $0.text.contains("A-10023") } && state.earlierKeyFacts.map(\.value).contains("A-10023"))
        #expect(handoff.summary.keyFacts == state.keyFacts)
        #expect(state.keyFacts.last?.value == "2026-11-20")
        #expect(try ConversationState(storageJSON: try JSONParser.parse(state.storageBytes)).keyFacts == state.keyFacts)
        #expect(handoff.customerTier == "vip")
        #expect(handoff.priority == 1, "VIP raises two levels")
    }
}

@Suite("Output envelopes")
struct OutputEnvelopeTests {
    @Test("an output's envelope is structured-mode CloudEvents, in the canonical bytes (sorted members) replay compares", arguments: [false, true])
    func canonicalEnvelope(optionalMembers: Bool) throws {
        let time = Timestamp(rfc3339: "2026-11-26T09:00:00.5Z")!
        let output = OutputEvent(channel: .handoffs, key: "conv-1", id: "ho_1/r1", type: EventType.handoffCreated, subject: optionalMembers ? "conv-1" : nil,
                                 time: time, data: .object(["b": .string("x \"y\"\n"), "a": .array([.number(1), .null])]),
                                 policyVersion: optionalMembers ? "v7" : nil)
        let bytes = output.envelopeBytes(source: "urn:handoffd:test")
        var expected: [String: JSONValue] = [
            "specversion": .string("1.0"), "id": .string("ho_1/r1"), "source": .string("urn:handoffd:test"), "type": .string(EventType.handoffCreated),
            "time": .string("2026-11-26T09:00:00.500Z"), "datacontenttype": .string("application/json"), "data": output.data,
        ]
        if optionalMembers {
            expected["subject"] = .string("conv-1")
            expected["policyversion"] = .string("v7")
        }
        #expect(try JSONParser.parse(bytes) == .object(expected))
        #expect(bytes == JSONWriter.bytes(.object(expected)), "members in key order, as JSONWriter writes a tree")
    }
}
