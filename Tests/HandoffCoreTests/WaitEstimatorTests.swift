import Testing
@testable import HandoffCore

@Suite("Queue view and wait estimates")
struct WaitEstimatorTests {
    static let t0 = Timestamp(rfc3339: "2026-11-26T10:00:00Z")!

    static func at(_ seconds: Int) -> Timestamp { t0.adding(milliseconds: Int64(seconds) * 1000) }

    static func snapshot(_ id: String, queue: String = "q", status: String, revision: Int, created: Int, updated: Int, priority: Int = 3) -> JSONValue {
        .object([
            "handoff_id": .string(id), "conversation_id": .string("c-\(id)"), "revision": .number(Double(revision)), "status": .string(status),
            "queue": .string(queue), "priority": .number(Double(priority)), "created_at": .string(at(created).rfc3339), "updated_at": .string(at(updated).rfc3339),
        ])
    }

    static func agent(_ id: String, _ status: AgentStatus.Status, queues: [String] = ["q"], capacity: Int = 1) -> AgentStatus {
        AgentStatus(agentID: id, status: status, queues: queues, capacity: capacity, time: t0)
    }

    @Test("the view read from a log's few members it needs is the view read from whole snapshots")
    func snapshotMembers() throws {
        var engine = Engine(policy: EscalationPolicy())
        var whole = QueueView()
        var few = QueueView()
        var snapshots = 0
        var statuses: Set<String> = []
        for (offset, (_, line)) in try ExampleLines.all().enumerated() {
            let result = engine.process(value: Array(line.utf8), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: Int64(offset)), now: nil)
            for output in result.outputs where output.type == EventType.handoffCreated || output.type == EventType.handoffUpdated {
                let record = output.envelopeBytes(source: "urn:test")
                let data = try #require(try JSONParser.parse(record)["data"])
                guard case .object(_, let members?) = try JSONParser.parseDocument(record, nested: "data", keeping: QueueView.snapshotMembers) else {
                    Issue.record("a snapshot's data is an object")
                    continue
                }
                if case .object(let all) = data { #expect(members.pairs.count < all.count, "the summary and transcript are not kept") }
                whole.apply(snapshot: data)
                few.apply(snapshot: members.object)
                snapshots += 1
                statuses.insert(data["status"]?.stringValue ?? "")
                #expect(few.open == whole.open && few.history == whole.history)
            }
        }
        #expect(snapshots >= 10 && statuses.isSuperset(of: ["waiting", "accepted", "completed"]), "\(snapshots) snapshots, \(statuses)")
    }

    @Test("handoffs whose close was never logged leave the view after stale_after: they no longer count ahead or take a slot")
    func expiry() {
        var view = QueueView()
        let day = 24 * 3600
        view.apply(snapshot: Self.snapshot("lost", status: "waiting", revision: 1, created: 0, updated: 0))
        view.apply(snapshot: Self.snapshot("forgotten", status: "waiting", revision: 1, created: 10, updated: 10))
        view.apply(snapshot: Self.snapshot("forgotten", status: "accepted", revision: 2, created: 10, updated: 20))
        view.apply(snapshot: Self.snapshot("fresh", status: "waiting", revision: 1, created: day, updated: day))
        view.apply(snapshot: Self.snapshot("serving", status: "waiting", revision: 1, created: day + 10, updated: day + 10))
        view.apply(snapshot: Self.snapshot("serving", status: "accepted", revision: 2, created: day + 10, updated: day + 20))
        #expect(view.ahead(in: "q", priority: 3, createdAt: Self.at(day + 100), handoffID: "new") == 2)
        #expect(view.inService("q") == 2)
        #expect(view.expire(before: Self.at(day + 100).adding(milliseconds: -Int64(day) * 1000)) == 2)
        #expect(view.ahead(in: "q", priority: 3, createdAt: Self.at(day + 100), handoffID: "new") == 1, "only the fresh one is ahead")
        #expect(view.inService("q") == 1, "only the recent acceptance takes a slot")
        #expect(view.waiting(in: "q").map(\.handoffID) == ["fresh"])
        #expect(view.expire(before: Self.at(day + 100).adding(milliseconds: -Int64(day) * 1000)) == 0)
        // A late snapshot of an expired handoff brings it back as it is now.
        view.apply(snapshot: Self.snapshot("lost", status: "abandoned", revision: 2, created: 0, updated: day + 200))
        #expect(view.open["lost"] == nil)
    }

    @Test("waiting order is priority, then arrival; old revisions change nothing; staffed capacity is shared across queues")
    func view() {
        var view = QueueView()
        view.apply(snapshot: Self.snapshot("a", status: "waiting", revision: 1, created: 0, updated: 0))
        view.apply(snapshot: Self.snapshot("b", status: "waiting", revision: 1, created: 10, updated: 10, priority: 1))
        view.apply(snapshot: Self.snapshot("c", status: "waiting", revision: 1, created: 5, updated: 5))
        #expect(view.waiting(in: "q").map(\.handoffID) == ["b", "a", "c"])
        view.apply(snapshot: Self.snapshot("a", status: "accepted", revision: 2, created: 0, updated: 60))
        view.apply(snapshot: Self.snapshot("a", status: "waiting", revision: 1, created: 0, updated: 0))
        #expect(view.waiting(in: "q").map(\.handoffID) == ["b", "c"], "revision 1 after 2 is ignored")
        #expect(view.inService("q") == 1)
        #expect(view.history["q"]?.serviceWaits.map(\.wait) == [60])
        view.apply(snapshot: Self.snapshot("a", status: "completed", revision: 3, created: 0, updated: 360))
        #expect(view.history["q"]?.handleTimes == [300])
        view.apply(snapshot: Self.snapshot("c", status: "abandoned", revision: 2, created: 5, updated: 125))
        #expect(view.history["q"]?.abandons.map(\.wait) == [120])
        view.apply(agent: Self.agent("x", .available, queues: ["q", "r"], capacity: 2))
        view.apply(agent: Self.agent("y", .busy))
        view.apply(agent: Self.agent("z", .away))
        #expect(view.staffed("q") == 2, "x gives 1 of its 2 slots to q, y its one, z is away")
        #expect(view.ahead(in: "q", priority: 3, createdAt: Self.at(20), handoffID: "new") == 1)
        #expect(view.ahead(in: "q", priority: 1, createdAt: Self.at(20), handoffID: "new") == 1, "b is priority 1 and earlier")
    }

    @Test("queue length: customers beyond the free slots, each advance at s·μ; a free slot means no wait")
    func queueLength() throws {
        var view = QueueView()
        view.apply(agent: Self.agent("x", .busy))
        view.apply(agent: Self.agent("y", .available))
        for (index, id) in ["s1", "s2"].enumerated() {
            view.apply(snapshot: Self.snapshot(id, status: "waiting", revision: 1, created: index, updated: index))
            view.apply(snapshot: Self.snapshot(id, status: "accepted", revision: 2, created: index, updated: index + 1))
        }
        for index in 0..<3 { view.apply(snapshot: Self.snapshot("w\(index)", status: "waiting", revision: 1, created: 10 + index, updated: 10 + index)) }
        let estimator = WaitEstimator()
        let estimate = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(100), handoffID: "new", view: view, now: Self.at(100))
        // No handle-time history: 360 s each, 2 slots → an advance every 180 s; 3 ahead + itself = 4 advances.
        #expect(estimate.method == .queueLength && estimate.position == 4)
        #expect(try #require(estimate.seconds) == 720)
        let (p10, p90) = (try #require(estimate.p10), try #require(estimate.p90))
        #expect(p10 > 250 && p10 < 400 && p90 > 1000 && p90 < 1250, "gamma(4, 180): p10 ≈ 314, p90 ≈ 1105; got \(p10), \(p90)")

        var idle = QueueView()
        idle.apply(agent: Self.agent("x", .available))
        let now = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(0), handoffID: "new", view: idle, now: Self.at(0))
        #expect(now.seconds == 0 && now.position == 1)
    }

    @Test("handle time is learned from completions, shrunk toward the default while there are few; abandonment shortens the wait")
    func learning() throws {
        var view = QueueView()
        view.apply(agent: Self.agent("x", .busy))
        for index in 0..<10 {
            let id = "h\(index)"
            view.apply(snapshot: Self.snapshot(id, status: "waiting", revision: 1, created: index * 1000, updated: index * 1000))
            view.apply(snapshot: Self.snapshot(id, status: "accepted", revision: 2, created: index * 1000, updated: index * 1000))
            view.apply(snapshot: Self.snapshot(id, status: "completed", revision: 3, created: index * 1000, updated: index * 1000 + 600))
        }
        let estimator = WaitEstimator()
        let shrunk: Double = (600.0 * 10 + 360 * 5) / 15
        #expect(estimator.handleTime("q", view.history["q"], now: Self.at(10_000)) == shrunk)
        #expect(estimator.handleTime("q", view.history["q"], now: Self.at(10_000 + 9 * 3600)) == 360, "history older than 8 h is not used")

        view.apply(snapshot: Self.snapshot("busy", status: "waiting", revision: 1, created: 10_000, updated: 10_000))
        view.apply(snapshot: Self.snapshot("busy", status: "accepted", revision: 2, created: 10_000, updated: 10_000))
        for index in 0..<5 { view.apply(snapshot: Self.snapshot("w\(index)", status: "waiting", revision: 1, created: 10_001 + index, updated: 10_001 + index)) }
        let patient = try #require(estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(10_100), handoffID: "n", view: view, now: Self.at(10_100)).seconds)
        for index in 0..<4 {
            view.apply(snapshot: Self.snapshot("a\(index)", status: "waiting", revision: 1, created: 9_000, updated: 9_000))
            view.apply(snapshot: Self.snapshot("a\(index)", status: "abandoned", revision: 2, created: 9_000, updated: 9_300))
        }
        let impatient = try #require(estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(10_100), handoffID: "n", view: view, now: Self.at(10_100)).seconds)
        #expect(impatient < patient, "those ahead abandoning move the queue: \(impatient) < \(patient)")
    }

    @Test("without agent data: last to enter service, then head of line, then the default; agents known but none in: no estimate")
    func fallbacks() throws {
        let estimator = WaitEstimator()
        var view = QueueView()
        let bootstrap = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(0), handoffID: "n", view: view, now: Self.at(0))
        #expect(bootstrap.method == .bootstrap && bootstrap.seconds == 360)
        #expect(bootstrap.minutes == nil, "nothing measured stands behind it: the customer is promised no number")
        #expect(Announcements.handoff("en", wait: bootstrap) == Announcements.handoff("en"))
        view.apply(snapshot: Self.snapshot("h", status: "waiting", revision: 1, created: 0, updated: 0))
        let head = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(90), handoffID: "n", view: view, now: Self.at(90))
        #expect(head.method == .headOfLine && head.seconds == 90 && head.position == 2)
        view.apply(snapshot: Self.snapshot("h", status: "accepted", revision: 2, created: 0, updated: 200))
        let les = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(210), handoffID: "n", view: view, now: Self.at(210))
        #expect(les.method == .lastToEnterService && les.seconds == 200)
        view.apply(agent: Self.agent("x", .offline))
        let closed = estimator.estimate(queue: "q", priority: 3, createdAt: Self.at(210), handoffID: "n", view: view, now: Self.at(210))
        #expect(closed.method == .noAgents && closed.seconds == nil)
    }

    @Test("a change is material when the position moves or the wait moves by a minute and a quarter of itself")
    func material() {
        let base = WaitEstimate(seconds: 600, p10: 300, p90: 900, position: 4, method: .queueLength, estimatedAt: Self.t0)
        var next = base
        next.seconds = 700
        #expect(!next.differsMaterially(from: base))
        next.seconds = 760
        #expect(next.differsMaterially(from: base))
        next = base
        next.position = 3
        #expect(next.differsMaterially(from: base))
    }

    @Test("the handoff carries the estimate, the customer hears it, and a new estimate brings an update and a new announcement")
    func told() throws {
        var script = ConversationScript()
        // One agent, busy; two customers waiting: a new handoff is third.
        let queue = EscalationPolicy().routing.queue(for: .other, language: "en")
        var view = QueueView()
        view.apply(agent: AgentStatus(agentID: "x", status: .busy, queues: [queue], capacity: 1, time: Self.t0))
        view.apply(snapshot: Self.snapshot("s", queue: queue, status: "waiting", revision: 1, created: 0, updated: 0))
        view.apply(snapshot: Self.snapshot("s", queue: queue, status: "accepted", revision: 2, created: 0, updated: 1))
        for index in 0..<2 { view.apply(snapshot: Self.snapshot("w\(index)", queue: queue, status: "waiting", revision: 1, created: index + 2, updated: index + 2)) }
        script.machine = ConversationMachine(state: script.machine.state)
        var machine = script.machine
        let event = ConversationEvent(id: "e-h", source: "t", time: script.time, conversationID: "conv-1", payload: .customerMessage(messageID: "m9", text: "I want to speak to a human"))
        let actions = machine.handle(event, policy: EscalationPolicy(), now: script.time, advisor: QueueAdvisor(view: view))
        let outputs = actions.compactMap { if case .emit(let output) = $0 { output } else { nil } }
        let created = try #require(outputs.first { $0.type == EventType.handoffCreated })
        #expect(created.data["wait_estimate"]?["position"]?.intValue == 3)
        let estimate = try #require(created.data["wait_estimate"].flatMap(WaitEstimate.init(json:)))
        let minutes = try #require(estimate.minutes)
        let announced = try #require(outputs.first { $0.type == EventType.handoffAnnounced })
        #expect(announced.data["text"]?.stringValue?.hasSuffix("A colleague will be with you in about \(minutes) minutes.") == true)
        #expect(announced.data["wait_minutes"]?.intValue == minutes)

        var later = estimate
        later.position = 1
        later.seconds = 40
        let update = machine.updateEstimate(later, handoffID: try #require(machine.state.handoff?.id), now: script.time.adding(milliseconds: 60_000))
        let emitted = update.compactMap { if case .emit(let output) = $0 { output } else { nil } }
        #expect(emitted.map(\.type) == [EventType.handoffUpdated, EventType.handoffAnnounced])
        #expect(emitted.last?.data["text"]?.stringValue == "A colleague will be with you in about a minute.")
        #expect(emitted.last?.id.hasSuffix("/announced/r2") == true)
    }

    @Test("an estimate refresh visits the handoffs waiting now: not one accepted, again one requeued, not one completed")
    func refreshVisitsWaiting() throws {
        var engine = Engine(policy: EscalationPolicy())
        let start = Timestamp(rfc3339: "2026-11-26T10:00:00Z")!
        var offset: Int64 = 0
        func send(_ conversation: String, _ type: String, _ data: [String: JSONValue]) {
            offset += 1
            let line = JSONWriter.bytes(.object(["specversion": .string("1.0"), "id": .string("e\(offset)"), "source": .string("t"), "type": .string(type),
                                                 "time": .string(start.adding(milliseconds: offset * 1000).rfc3339), "subject": .string(conversation),
                                                 "data": .object(data.merging(["conversation_id": .string(conversation)]) { $1 })]))
            _ = engine.process(value: line, key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: offset), now: nil, advisor: QueueAdvisor())
        }
        for conversation in ["w-1", "w-2"] {
            send(conversation, EventType.conversationStarted, ["customer_id": .string("c"), "channel": .string("web"), "locale": .string("en-GB")])
            send(conversation, EventType.customerMessage, ["message_id": .string("m1"), "text": .string("I want to talk to a person")])
        }
        // maxSilence 0: every handoff visited is told its estimate again.
        func visited() -> [String] {
            engine.refreshEstimates(now: start.adding(milliseconds: offset * 1000 + 500), maxSilence: 0, advisor: QueueAdvisor())
                .filter { $0.type == EventType.handoffUpdated }.compactMap(\.key).sorted()
        }
        #expect(visited() == ["w-1", "w-2"])
        send("w-1", EventType.handoffAccepted, ["agent_id": .string("a-1")])
        #expect(visited() == ["w-2"])
        send("w-1", EventType.handoffRequeued, ["agent_id": .string("a-1"), "reason": .string("shift ended")])
        #expect(visited() == ["w-1", "w-2"])
        send("w-2", EventType.handoffAccepted, ["agent_id": .string("a-2")])
        send("w-2", EventType.handoffCompleted, ["agent_id": .string("a-2")])
        #expect(visited() == ["w-1"])
    }

    @Test("waiting past the queue's target: overflowed to the backup queue, or one priority step up without one — once")
    func targetWait() throws {
        for overflow in ["backup", nil] as [String?] {
            var engine = Engine(policy: EscalationPolicy())
            let start = Timestamp(rfc3339: "2026-11-26T10:00:00Z")!
            for (n, type, text) in [(1, EventType.conversationStarted, ""), (2, EventType.customerMessage, "I want to talk to a person")] {
                var data: [String: JSONValue] = ["conversation_id": .string("t-1")]
                if n == 1 { data.merge(["customer_id": .string("c"), "channel": .string("web"), "locale": .string("en-GB")]) { $1 } } else {
                    data.merge(["message_id": .string("m1"), "text": .string(text)]) { $1 }
                }
                let line = JSONWriter.bytes(.object(["specversion": .string("1.0"), "id": .string("e\(n)"), "source": .string("t"), "type": .string(type),
                                                     "time": .string(start.rfc3339), "subject": .string("t-1"), "data": .object(data)]))
                _ = engine.process(value: line, key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: Int64(n)), now: nil, advisor: QueueAdvisor())
            }
            let handoff = try #require(engine.conversations["t-1"]?.state.handoff)
            var advisor = QueueAdvisor()
            advisor.targets[handoff.queue] = (wait: 600_000, overflowTo: overflow)
            #expect(engine.refreshEstimates(now: start.adding(milliseconds: 599_000), maxSilence: 3_600_000, advisor: advisor).isEmpty)
            let outputs = engine.refreshEstimates(now: start.adding(milliseconds: 601_000), maxSilence: 3_600_000, advisor: advisor)
            let updated = try #require(outputs.first { $0.type == EventType.handoffUpdated })
            #expect(updated.data["target_missed_at"]?.stringValue == start.adding(milliseconds: 601_000).rfc3339)
            if let overflow {
                #expect(updated.data["queue"]?.stringValue == overflow)
            } else {
                #expect(updated.data["priority"]?.intValue == handoff.priority - 1)
            }
            _ = engine.refreshEstimates(now: start.adding(milliseconds: 1_300_000), maxSilence: 3_600_000, advisor: advisor)
            let after = try #require(engine.conversations["t-1"]?.state.handoff)
            #expect(after.queue == updated.data["queue"]?.stringValue && after.priority == updated.data["priority"]?.intValue, "once: no second move")
        }
    }
}
