import Foundation
import HandoffAdmin
import HandoffCore
import HandoffService
import Prometheus
import Testing

/// Wait estimates inside `serve`: the queue view built from `support.agents` and `support.handoffs`
/// read in full, estimates on created handoffs, updates when a customer moves up, scores on acceptance.
@Suite("Wait estimates in the pipeline", .serialized)
struct WaitPipelineTests {
    static func event(_ id: String, _ type: String, subject: String, time: String, _ data: [String: JSONValue]) -> String {
        JSONWriter.string(.object(["specversion": .string("1.0"), "id": .string(id), "source": .string("urn:test"), "type": .string(type),
                                   "time": .string(time), "subject": .string(subject), "data": .object(data)]))
    }

    static func asks(_ n: Int) -> [String] {
        let conversation = "wait-\(n)"
        return [
            event("\(conversation)-1", EventType.conversationStarted, subject: conversation, time: "2026-11-26T10:00:0\(n)Z",
                  ["conversation_id": .string(conversation), "customer_id": .string("c\(n)"), "channel": .string("web"), "locale": .string("en-GB")]),
            event("\(conversation)-2", EventType.customerMessage, subject: conversation, time: "2026-11-26T10:00:0\(n)Z",
                  ["conversation_id": .string(conversation), "message_id": .string("\(conversation)-m1"), "text": .string("I want to talk to a person")]),
        ]
    }

    @Test("estimates come from the agents logged in and the customers ahead; when the first is accepted, the others hear they moved up")
    func liveEstimates() async throws {
        let (kafka, _, clock, registry, reader) = try SummaryPipelineTests.rig(partitions: 1)
        var configuration = HandoffdConfiguration()
        configuration.waits.updateInterval = .seconds(15)
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(), logger: kafka.logger,
                                       metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: registry)), clock: { clock.now })
        let queue = EscalationPolicy().routing.queue(for: .other, language: "en")
        @Sendable func created(_ conversation: String) -> JSONValue? {
            reader.events(ofType: EventType.handoffCreated).first { $0["subject"]?.stringValue == conversation }?["data"]
        }
        try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: [Self.event("a1", EventType.agentStatus, subject: "agent-1", time: "2026-11-26T09:59:00Z", [
                "agent_id": .string("agent-1"), "status": .string("available"), "queues": .array([.string(queue)]), "capacity": .number(1),
            ])], to: kafka.topics.agents)
            #expect(await waitFor { pipeline.globalView.agents.count == 1 })
            // One at a time, so each estimate sees the handoffs before it in the view.
            for n in 1...3 {
                clock.advance(milliseconds: 1000)
                try await kafka.publish(lines: Self.asks(n))
                #expect(await reader.wait { _ in created("wait-\(n)") != nil })
                #expect(await waitFor { pipeline.globalView.openHandoffs.count == n })
            }
            // How stale the view is: from a record's timestamp to its application, for the last batch read.
            print("global view delay (mock cluster): \(pipeline.globalView.delay) ms")
            #expect(created("wait-1")?["wait_estimate"]?["position"]?.intValue == 1)
            #expect(created("wait-1")?["wait_estimate"]?["seconds"]?.numberValue == 0, "a free slot: no wait")
            #expect(created("wait-2")?["wait_estimate"]?["method"]?.stringValue == "queue_length")
            #expect(created("wait-3")?["wait_estimate"]?["position"]?.intValue == 3)

            try await kafka.publish(lines: [Self.event("acc-1", EventType.handoffAccepted, subject: "wait-1", time: "2026-11-26T10:01:00Z",
                                                       ["conversation_id": .string("wait-1"), "agent_id": .string("agent-1")])])
            #expect(await waitFor { pipeline.globalView.openHandoffs["\(created("wait-1")?["handoff_id"]?.stringValue ?? "")"]?.status == .accepted })
            clock.advance(milliseconds: 16_000)
            #expect(await reader.wait { events in
                events.contains { $0["type"]?.stringValue == EventType.handoffUpdated && $0["subject"]?.stringValue == "wait-3"
                    && $0["data"]?["wait_estimate"]?["position"]?.intValue == 2 } || events.contains {
                    $0["type"]?.stringValue == EventType.handoffAnnounced && $0["subject"]?.stringValue == "wait-3" && $0["data"]?["position"]?.intValue == 2 }
            })
        }
        let updates = reader.events(ofType: EventType.handoffUpdated).filter { $0["data"]?["status"]?.stringValue == "waiting" }
        for update in updates {
            let id = try #require(update["data"]?["handoff_id"]?.stringValue)
            #expect(update["id"]?.stringValue == "\(id)/r\(update["data"]?["revision"]?.intValue ?? 0)")
        }
        await reader.close()
    }

    @Test("at start-up, decisions wait for the global view: the first handoff is estimated against the agents already logged in",
          arguments: [true, false])
    func startWaitsForGlobalView(waits: Bool) async throws {
        let (kafka, _, _, registry, reader) = try SummaryPipelineTests.rig(partitions: 1)
        let queue = EscalationPolicy().routing.queue(for: .other, language: "en")
        // Everything is in the topics before the instance starts; its view's reader starts 4 s late (without
        // the wait: 30 s, so the first handoff is certainly made before the view is read, however slow the join).
        try await kafka.publish(lines: [Self.event("a1", EventType.agentStatus, subject: "agent-1", time: "2026-11-26T09:59:00Z", [
            "agent_id": .string("agent-1"), "status": .string("available"), "queues": .array([.string(queue)]), "capacity": .number(1),
        ])], to: kafka.topics.agents)
        try await kafka.publish(lines: Self.asks(1))
        var configuration = HandoffdConfiguration()
        configuration.processing.globalViewWait = waits ? .seconds(30) : .zero
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(), logger: kafka.logger,
                                       metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: registry)),
                                       faults: FaultInjection(globalViewDelay: .seconds(waits ? 4 : 30)))
        try await running([pipeline], logger: kafka.logger) {
            #expect(await reader.wait { _ in !reader.events(ofType: EventType.handoffCreated).isEmpty })
            let estimate = reader.events(ofType: EventType.handoffCreated).first?["data"]?["wait_estimate"]
            if waits {
                #expect(pipeline.healthSnapshot.globalViewCaughtUp)
                #expect(estimate?["method"]?.stringValue == "queue_length", "the agent logged in before the start counts")
                #expect(estimate?["seconds"]?.numberValue == 0, "a free slot: no wait")
            } else {
                // Without the wait the same handoff is estimated blind: what the wait exists to prevent.
                #expect(estimate?["method"]?.stringValue == "bootstrap")
                #expect(!pipeline.healthSnapshot.globalViewCaughtUp, "still reading: /readyz says so")
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                #expect(metric("handoffd_global_view_caught_up", in: String(decoding: buffer, as: UTF8.self)) == 0, "and so does the gauge")
            }
        }
        await reader.close()
    }
}
