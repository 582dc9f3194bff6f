import Testing
@testable import HandoffCore

@Suite("Quality gates")
struct QualityGateTests {
    let start = Timestamp(rfc3339: "2026-11-26T08:00:00Z")!

    func botReply(faithfulness: Double? = nil, confidence: Double? = 0.9, grounded: Bool = true, at seconds: Int64) -> (Engine.Result, Timestamp) {
        var result = Engine.Result()
        let time = start.adding(milliseconds: seconds * 1000)
        result.event = ConversationEvent(id: "e\(seconds)", source: "s", time: time, conversationID: "c",
                                         payload: .botMessage(.init(messageID: "m\(seconds)", text: "t", sources: grounded ? ["kb"] : [],
                                                                    confidence: confidence, faithfulness: faithfulness)))
        return (result, time)
    }

    @Test("faithfulness below 90 % fires once the window has enough samples, not before")
    func firesAtMinimumSamples() {
        var monitor = QualityMonitor()
        var fired: [QualityMonitor.Transition] = []
        for index in 0..<60 {
            let (result, time) = botReply(faithfulness: 0.8, at: Int64(index * 10))
            monitor.observe(result, at: time)
            let transitions = monitor.evaluate(at: time)
            if index < 49 { #expect(transitions.isEmpty, "only \(index + 1) samples") }
            fired += transitions
        }
        #expect(fired.count == 1)
        #expect(fired.first?.gate == "faithfulness_low")
        #expect(fired.first?.kind == .fired)
        #expect(fired.first?.samples == 50)
        #expect(fired.first?.at == start.adding(milliseconds: 490_000))
        #expect(abs((fired.first?.value ?? 0) - 0.8) < 1e-9)
    }

    @Test("between the threshold and the clear level it keeps firing; past the clear level it resolves (no flapping)")
    func hysteresis() {
        var gate = QualityGate.defaults.first { $0.name == "faithfulness_low" }!
        gate.window = 600_000
        gate.minimumSamples = 10
        var monitor = QualityMonitor(gates: [gate])
        var transitions: [QualityMonitor.Transition] = []
        var second: Int64 = 0
        func feed(_ value: Double, count: Int) {
            for _ in 0..<count {
                let (result, time) = botReply(faithfulness: value, at: second)
                monitor.observe(result, at: time)
                transitions += monitor.evaluate(at: time)
                second += 5
            }
        }
        feed(0.85, count: 20)
        #expect(transitions.map(\.kind) == [.fired])
        // A window that sits at 0.91 — above the threshold, below the clear level — stays firing.
        second += 700
        feed(0.91, count: 40)
        #expect(transitions.map(\.kind) == [.fired])
        #expect(monitor.isFiring("faithfulness_low"))
        feed(0.95, count: 120)
        #expect(transitions.map(\.kind) == [.fired, .resolved])
        let resolved = transitions.last!
        #expect(resolved.value >= 0.92 && resolved.limit == 0.92)
        #expect(resolved.firedAt == transitions.first!.at)
    }

    @Test("old samples leave the window: after a bad hour and silence the alert resolves; good samples keep it quiet")
    func windowExpiry() {
        var gate = QualityGate.defaults.first { $0.name == "grounded_share_low" }!
        gate.window = 3_600_000
        gate.minimumSamples = 20
        var monitor = QualityMonitor(gates: [gate])
        var kinds: [QualityMonitor.Transition.Kind] = []
        for index in 0..<30 {
            let (result, time) = botReply(grounded: index % 2 == 0, at: Int64(index * 60))
            monitor.observe(result, at: time)
            kinds += monitor.evaluate(at: time).map(\.kind)
        }
        #expect(kinds == [.fired], "a 50 % grounded share is below 70 %")
        // Half an hour later the bad samples are still in the window: still firing.
        kinds += monitor.evaluate(at: start.adding(milliseconds: 3_600_000)).map(\.kind)
        #expect(kinds == [.fired])
        // Two hours later the window is empty: nothing left to judge, so the alert does not stay open.
        kinds += monitor.evaluate(at: start.adding(milliseconds: 3 * 3_600_000)).map(\.kind)
        #expect(kinds == [.fired, .resolved])
        for index in 0..<25 {
            let (result, time) = botReply(grounded: true, at: Int64(3 * 3600 + index * 60))
            monitor.observe(result, at: time)
            kinds += monitor.evaluate(at: time).map(\.kind)
        }
        #expect(kinds == [.fired, .resolved])
    }

    @Test("the escalation rate is judged against its own day")
    func escalationAgainstBaseline() {
        var monitor = QualityMonitor(gates: QualityGate.defaults.filter { $0.signal == .escalationRate })
        var transitions: [QualityMonitor.Transition] = []
        func conversation(at second: Int64, escalated: Bool) {
            let time = start.adding(milliseconds: second * 1000)
            var started = Engine.Result()
            started.event = ConversationEvent(id: "s\(second)", source: "s", time: time, conversationID: "c\(second)",
                                              payload: .started(.init(customerID: "x", channel: "web", locale: "en")))
            monitor.observe(started, at: time)
            if escalated {
                var handoff = Engine.Result()
                handoff.outputs = [OutputEvent(channel: .handoffs, key: "c", id: "h\(second)", type: EventType.handoffCreated, subject: "c", time: time, data: .object([:]))]
                monitor.observe(handoff, at: time)
            }
            transitions += monitor.evaluate(at: time)
        }
        // 20 hours at 10 %: no alert, however busy.
        for index in 0..<1200 { conversation(at: Int64(index * 60), escalated: index % 10 == 0) }
        #expect(transitions.isEmpty)
        // Then an hour at 40 %: more than 1.5 × the day's rate.
        for index in 0..<60 { conversation(at: Int64(72_000 + index * 60), escalated: index % 5 < 2) }
        #expect(transitions.map(\.kind) == [.fired])
        let alert = transitions[0]
        #expect(alert.baseline != nil && alert.value > 1.5 * alert.baseline!)
        #expect(alert.limit == 1.5 * alert.baseline!)
    }

    @Test("dead letters above 1 % of records fire; the event names the gate, the instance and the values")
    func deadLetterRate() throws {
        var monitor = QualityMonitor(gates: QualityGate.defaults.filter { $0.signal == .deadLetterRate })
        var transitions: [QualityMonitor.Transition] = []
        for index in 0..<200 {
            var result = Engine.Result()
            let time = start.adding(milliseconds: Int64(index) * 1000)
            if index % 20 == 0 {
                result.outputs = [OutputEvent(channel: .deadLetter, key: nil, id: "d\(index)", type: EventType.deadLetter, subject: nil, time: time, data: .object([:]))]
            }
            monitor.observe(result, at: time)
            transitions += monitor.evaluate(at: time)
        }
        let alert = try #require(transitions.first)
        #expect(alert.gate == "dead_letter_rate_high")
        let event = alert.event(instance: "handoffd-1")
        #expect(event.type == EventType.qualityAlert)
        #expect(event.channel == .alerts)
        #expect(event.key == "dead_letter_rate_high")
        #expect(event.data["instance"]?.stringValue == "handoffd-1")
        #expect(event.data["samples"]?.intValue == 100)
        #expect(event.id == "handoffd-1/dead_letter_rate_high/\(alert.firedAt.millisecondsSinceEpoch)/fired")
    }
}

@Suite("Quality gate windows")
struct RollingRatioTests {
    let start = Timestamp(rfc3339: "2026-11-26T08:00:00Z")!

    @Test("a sample from before the window does not wipe a current bucket")
    func clockStepsBack() {
        var ratio = RollingRatio(window: 60_000)
        ratio.add(numerator: 1, denominator: 1, at: start)
        ratio.add(numerator: 0, denominator: 1, at: start.adding(milliseconds: -120_000))
        let totals = ratio.totals(at: start)
        #expect(totals.denominator == 2)
        #expect(totals.numerator == 1)
        // Asked about an earlier moment, the window still ends at the newest sample.
        #expect(ratio.totals(at: start.adding(milliseconds: -30_000)).denominator == 2)
    }

    @Test("samples leave the window as time passes")
    func expiry() {
        var ratio = RollingRatio(window: 60_000)
        ratio.add(numerator: 1, denominator: 1, at: start)
        #expect(ratio.totals(at: start.adding(milliseconds: 30_000)).denominator == 1)
        #expect(ratio.totals(at: start.adding(milliseconds: 61_000)).denominator == 0)
    }

    @Test("a firing gate whose window empties resolves instead of staying open")
    func emptyWindowResolves() {
        var gate = QualityGate.defaults.first { $0.name == "faithfulness_low" }!
        gate.window = 600_000
        gate.minimumSamples = 5
        var monitor = QualityMonitor(gates: [gate])
        for index in 0..<5 {
            var result = Engine.Result()
            let time = start.adding(milliseconds: Int64(index) * 1000)
            result.event = ConversationEvent(id: "e\(index)", source: "s", time: time, conversationID: "c",
                                             payload: .botMessage(.init(messageID: "m\(index)", text: "t", sources: ["kb"], confidence: 0.9, faithfulness: 0.5)))
            monitor.observe(result, at: time)
        }
        #expect(monitor.evaluate(at: start.adding(milliseconds: 5000)).map(\.kind) == [.fired])
        let later = monitor.evaluate(at: start.adding(milliseconds: 3_600_000))
        #expect(later.map(\.kind) == [.resolved])
        #expect(later.first?.samples == 0)
        #expect(later.first?.value == 0.5, "the last value judged")
    }

    @Test("a re-delivered event is not counted twice")
    func redeliveries() {
        var gate = QualityGate.defaults.first { $0.name == "faithfulness_low" }!
        gate.minimumSamples = 2
        var monitor = QualityMonitor(gates: [gate])
        var result = Engine.Result()
        result.event = ConversationEvent(id: "e", source: "s", time: start, conversationID: "c",
                                         payload: .botMessage(.init(messageID: "m", text: "t", sources: ["kb"], confidence: 0.9, faithfulness: 0.5)))
        monitor.observe(result, at: start)
        result.isRedelivery = true
        monitor.observe(result, at: start)
        #expect(monitor.evaluate(at: start).isEmpty, "one sample, not two")
    }
}
