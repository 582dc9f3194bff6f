import Foundation
import HandoffAdmin
import HandoffCore
import HandoffLLM
import HandoffService
import Kafka
import Prometheus
import Synchronization
import Testing

/// Model summaries inside `serve`: on the mock cluster, with a scripted model and a manual clock,
/// so the deadline is tested by moving time, not by waiting for it.
@Suite("Model summaries in the pipeline", .serialized)
struct SummaryPipelineTests {
    /// Processing time that moves only when the test says so.
    final class ManualClock: Sendable {
        private let current = Mutex(Timestamp(rfc3339: "2026-11-26T10:00:00Z")!)
        var now: Timestamp { current.withLock { $0 } }
        func advance(milliseconds: Int64) { current.withLock { $0 = $0.adding(milliseconds: milliseconds) } }
    }

    static func lines(_ file: String) throws -> [String] {
        try String(contentsOf: Examples.folder.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// An answer about 02-asks-for-human (m1 customer, m2 bot, m3 customer) with nothing to drop.
    static let humanAnswer = JSONWriter.string(.object([
        "goal": .string("Change the e-mail address on the account."), "issue": .string("The address is said to be in use by another account."),
        "bot_tried": .array([.object(["message": .string("m2"), "what": .string("Explained that an address belongs to one account.")])]),
        "sentiment": .string("negative"), "key_facts": .array([]), "open_questions": .array([.string("Is there a second account?")]),
        "language": .string("en"), "suggested_reply": .string("Hello, I'm sorry about the trouble with your e-mail address; let me look at your account."),
    ]))

    /// A cluster, a scripted model, a clock standing still, a metrics registry and a reader of the outputs.
    static func rig(partitions: Int) throws -> (MockKafka, ScriptedModel, ManualClock, PrometheusCollectorRegistry, OutputReader) {
        let kafka = try MockKafka(partitions: partitions)
        return (kafka, ScriptedModel(logger: kafka.logger), ManualClock(), PrometheusCollectorRegistry(), try kafka.reader())
    }

    func pipeline(_ kafka: MockKafka, _ model: ScriptedModel, clock: ManualClock, registry: PrometheusCollectorRegistry,
                  kafkaProperties: [String: String] = [:], processing: (inout HandoffdConfiguration.Processing) -> Void = { _ in },
                  deadLetterMaxBytes: Int = HandoffdConfiguration().deadLetterMaxBytes,
                  _ change: (inout LLMConfiguration) -> Void) throws -> HandoffPipeline {
        var configuration = HandoffdConfiguration()
        configuration.llm = LLMSummarizerTests.configuration(model, change)
        configuration.deadLetterMaxBytes = deadLetterMaxBytes
        processing(&configuration.processing)
        var properties = kafka.configuration()
        properties.properties.merge(kafkaProperties) { $1 }
        return HandoffPipeline(configuration: configuration, kafka: properties, logger: kafka.logger,
                               metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: registry)),
                               clock: { clock.now }, summaries: try configuration.summaryWorkers(logger: kafka.logger))
    }

    static func metric(_ registry: PrometheusCollectorRegistry, _ line: String) -> Bool {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").contains { $0.hasPrefix(line) }
    }

    @Test("a slow model never holds a handoff past the deadline: it goes out extractive, the model's summary follows as handoff.updated")
    func deadline() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        model.script([.hang(then: Self.humanAnswer)])
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry) { $0.summarizeAhead = false; $0.deadline = .seconds(2) }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: try Self.lines("02-asks-for-human.jsonl"))
                // The customer is told at once; the agents' event waits for the summary.
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffAnnounced }.isEmpty })
                #expect(await reader.wait(timeout: .seconds(1)) { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty } == false,
                        "held while the clock stands before the deadline")
                #expect(model.requests == 1)

                clock.advance(milliseconds: 2001)
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                let created = try #require(reader.events(ofType: EventType.handoffCreated).first)
                #expect(created["data"]?["summary"]?["source"]?.stringValue == "extractive")
                #expect(created["data"]?["revision"]?.intValue == 1)

                model.releaseHung()
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffUpdated }.isEmpty })
                let updated = try #require(reader.events(ofType: EventType.handoffUpdated).first)
                #expect(updated["data"]?["handoff_id"] == created["data"]?["handoff_id"])
                #expect(updated["data"]?["revision"]?.intValue == 2)
                #expect(updated["data"]?["summary"]?["source"]?.stringValue == "llm")
                #expect(updated["data"]?["summary"]?["suggested_reply"]?.stringValue?.isEmpty == false)
                #expect(updated["data"]?["queue"] == created["data"]?["queue"] && updated["data"]?["reasons"] == created["data"]?["reasons"])
                #expect(Self.metric(registry, #"handoffd_handoff_summaries_total{at_publication="deadline"} 1"#))
            }
        }
        await reader.close()
    }

    @Test("a model summary whose update finds the broker down (its delivery times out) reaches the agents when the broker is back, also when shutdown begins meanwhile",
          arguments: [false, true])
    func updateSurvivesBrokerDown(duringShutdown: Bool) async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        model.script([.hang(then: Self.humanAnswer)])
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry, kafkaProperties: ["message.timeout.ms": "1500"]) {
                $0.summarizeAhead = false
                $0.deadline = .seconds(2)
            }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: try Self.lines("02-asks-for-human.jsonl"))
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffAnnounced }.isEmpty })
                clock.advance(milliseconds: 2001)
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                // The update has no input record behind it: nothing else would ever send it again.
                kafka.cluster.setBroker(1, up: false)
                model.releaseHung()
                #expect(await waitFor { pipeline.statisticsSnapshot.redeliveries > 0 }, "its delivery timed out and it was sent again")
                if duringShutdown {
                    // Shutdown begins when this closure returns, with the update failing; the broker is back 3 s later.
                    Task {
                        try await Task.sleep(for: .seconds(3))
                        kafka.cluster.setBroker(1, up: true)
                    }
                } else {
                    kafka.cluster.setBroker(1, up: true)
                    #expect(await reader.wait(timeout: .seconds(60)) { !$0.filter { $0["type"]?.stringValue == EventType.handoffUpdated }.isEmpty })
                }
            }
        }
        #expect(await reader.wait(timeout: .seconds(60)) { !$0.filter { $0["type"]?.stringValue == EventType.handoffUpdated }.isEmpty })
        let updated = try #require(reader.events(ofType: EventType.handoffUpdated).first)
        #expect(updated["data"]?["summary"]?["source"]?.stringValue == "llm")
        await reader.close()
    }

    @Test("a best-effort write the broker refuses for good (a state larger than the producer may send) is dropped with an error, and processing goes on")
    func bestEffortRefused() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        try kafka.cluster.createTopic(kafka.topics.changelog, partitions: 1)
        // A long first message: the stored state (transcript, and the handoff with the transcript again) is
        // over 5 000 bytes, the handoff and its update under it.
        var script = try Self.lines("02-asks-for-human.jsonl")
        script[1] = script[1].replacingOccurrences(of: "trying to change the email", with: String(repeating: "I tried again and again. ", count: 30) + "trying to change the email")
        let lines = script
        model.script([.hang(then: Self.humanAnswer)])
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry, kafkaProperties: ["message.max.bytes": "5000"],
                                        processing: { $0.changelog = true }, deadLetterMaxBytes: 100) {
                $0.summarizeAhead = false
                $0.deadline = .seconds(2)
            }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: lines)
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffAnnounced }.isEmpty })
                clock.advance(milliseconds: 2001)
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                // The model's summary changes the state with no record behind it: written best effort, and refused.
                model.releaseHung()
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffUpdated }.isEmpty })
                #expect(await waitFor { Self.metric(registry, "handoffd_outputs_dropped_total 1") }, "dropped, counted")
                // Still processing: another conversation is handed off.
                try await kafka.publish(lines: [#"{"specversion":"1.0","id":"after-1","source":"s","type":"support.message.customer","time":"2026-11-26T10:00:00Z","subject":"conv-after","data":{"conversation_id":"conv-after","message_id":"a1","text":"I want to speak to a human"}}"#])
                #expect(await reader.wait { events in events.contains { $0["type"]?.stringValue == EventType.botPaused && $0["subject"]?.stringValue == "conv-after" } })
            }
        }
        await reader.close()
    }

    @Test("exactly once: a model summary whose round is aborted is put on its handoff again in a later round, without asking the model again")
    func summaryAfterAbort() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        try kafka.cluster.createTopic(kafka.topics.changelog, partitions: 1)
        let lines = try Self.lines("02-asks-for-human.jsonl")
        model.script([.hang(then: Self.humanAnswer)])
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry, processing: {
                $0.changelog = true
                $0.guarantee = .exactlyOnce
            }) { $0.summarizeAhead = false }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: lines)
                // Exactly once holds no handoff for its summary: it goes out at once, extractive.
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                #expect(await waitFor { model.requests == 1 && pipeline.statisticsSnapshot.records >= lines.count })
                // Two more rounds committed: the handoff's own transaction is behind us.
                let committed = pipeline.statisticsSnapshot.transactionsCommitted
                #expect(await waitFor { pipeline.statisticsSnapshot.transactionsCommitted >= committed + 2 })
                // The next transaction to add a partition is the one carrying the summary: refused, so aborted.
                kafka.cluster.failNextRequests(apiKey: 24, errors: [29])
                model.releaseHung()
                #expect(await waitFor { pipeline.statisticsSnapshot.transactionsAborted >= 1 })
                // The refused partitions keep the aborted update from reaching the broker at all: what
                // arrives is the update made again.
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffUpdated }.isEmpty })
            }
        }
        let updates = reader.events(ofType: EventType.handoffUpdated)
        #expect(updates.count == 1)
        #expect(updates.first?["data"]?["summary"]?["source"]?.stringValue == "llm")
        #expect(updates.first?["data"]?["revision"]?.intValue == 2, "the state read back is the one before the aborted round")
        #expect(model.requests == 1, "the summary was kept, not asked for again")
        await reader.close()
    }

    @Test("a rebalance that revokes and gives back the partition while a handoff is held: it goes out once, and its record is committed only after it")
    func heldAcrossRevokeAndReassign() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        model.script([.hang(then: Self.humanAnswer)])
        try await model.serving {
            // The revocation waits 2 s for the held record, then lets the partition go with it still held.
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry, processing: { $0.shutdownTimeout = .seconds(2) }) {
                $0.summarizeAhead = false
                $0.deadline = .seconds(60)
            }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: try Self.lines("02-asks-for-human.jsonl"))
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffAnnounced }.isEmpty })
                // A second member of the group, subscribed to another topic: the group rebalances (eagerly), and
                // the pipeline's partition is revoked and assigned back to it, with the handoff still held.
                let member = try KafkaConsumer(configuration: kafka.configuration(), mode: .group(topics: [kafka.topics.agents]), logger: kafka.logger)
                func redelivered() -> Double {
                    var buffer: [UInt8] = []
                    registry.emit(into: &buffer)
                    return KafkaIntegrationTests.metric("handoffd_records_total", labels: #"outcome="redelivered""#, in: String(decoding: buffer, as: UTF8.self))
                }
                #expect(await waitFor { redelivered() > 0 }, "the records after the last commit were read again from the partition given back")
                // Windows end every second and offsets are committed every 200 ms: by now a record finished too
                // early would be committed. The held one must not be: a crash now would lose its handoff.
                try await Task.sleep(for: .seconds(2))
                let lines = Int64(try Self.lines("02-asks-for-human.jsonl").count)
                let input = TopicPartition(topic: kafka.topics.conversations, partition: 0)
                @Sendable func committed() async throws -> Int64 {
                    try await KafkaTopics.committedOffsets(configuration: KafkaConfiguration(brokers: kafka.brokers), group: "handoffd-test",
                                                           partitions: [input], logger: kafka.logger)[input] ?? 0
                }
                let whileHeld = try await committed()
                #expect(whileHeld < lines, "the held record (and what follows it) stays uncommitted: committed \(whileHeld) of \(lines)")
                #expect(await reader.wait(timeout: .seconds(1)) { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty } == false,
                        "still held: the records read again did not publish it")
                model.releaseHung()
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                // Once it is out, everything is committed.
                let deadline = ContinuousClock.now + .seconds(30)
                while try await committed() < lines && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
                #expect(try await committed() == lines)
                await member.close()
            }
        }
        let created = reader.events(ofType: EventType.handoffCreated)
        #expect(created.count == 1)
        #expect(created.first?["data"]?["summary"]?["source"]?.stringValue == "llm")
        await reader.close()
    }

    @Test("a model that answers within the deadline: the handoff carries its summary from the first revision, and nothing follows")
    func inTime() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        model.script([.answer(Self.humanAnswer)])
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry) { $0.summarizeAhead = false }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: try Self.lines("02-asks-for-human.jsonl"))
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
            }
        }
        let created = try #require(reader.events(ofType: EventType.handoffCreated).first)
        #expect(created["data"]?["summary"]?["source"]?.stringValue == "llm")
        #expect(created["data"]?["summary"]?["covers_through"]?.stringValue == "conv-human-002-m3")
        #expect(reader.events(ofType: EventType.handoffUpdated).isEmpty)
        #expect(Self.metric(registry, #"handoffd_handoff_summaries_total{at_publication="model"} 1"#))
        await reader.close()
    }

    @Test("summaries written while a conversation nears escalation are ready the moment it escalates: no request at handoff time")
    func ahead() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 1)
        model.script([], otherwise: .answer(LLMSummarizerTests.answer(facts: [("order_number", "A-10023", "m5")])))
        let lines = try Self.lines("03-frustration.jsonl")
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry) { $0.summarizeAhead = true }
            try await running([pipeline], logger: kafka.logger) {
                // Up to the bot's third reply: two unsuccessful ones behind it, not yet escalated.
                try await kafka.publish(lines: Array(lines.prefix(8)))
                let deadline = ContinuousClock.now + .seconds(60)
                // The first summary may be of a shorter transcript (m1…m4, so m5 cited by the answer is
                // dropped and it falls back); it is asked again for the transcript as it has grown.
                while ContinuousClock.now < deadline, !Self.metric(registry, #"handoffd_summaries_total{source="llm",purpose="ahead"} "#) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let asked = model.requests
                #expect(asked >= 1)
                #expect(reader.events(ofType: EventType.handoffCreated).isEmpty)
                try await kafka.publish(lines: Array(lines.dropFirst(8)))
                #expect(await reader.wait { !$0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.isEmpty })
                #expect(model.requests == asked, "the handoff needed no request of its own")
            }
        }
        let created = try #require(reader.events(ofType: EventType.handoffCreated).first)
        #expect(created["data"]?["summary"]?["source"]?.stringValue == "llm")
        #expect(created["data"]?["summary"]?["key_facts"]?.arrayValue?.first?["message_id"]?.stringValue == "conv-frustrated-003-m5")
        #expect(created["data"]?["summary"]?["escalation_reason"]?.stringValue?.contains("unsuccessful") == true, "the broker's reason, decided at the handoff")
        #expect(Self.metric(registry, #"handoffd_handoff_summaries_total{at_publication="ready"} 1"#))
        await reader.close()
    }

    @Test("a dead model endpoint while events pour in: every handoff still goes out, extractive, and processing does not stall")
    func deadEndpoint() async throws {
        let (kafka, model, clock, registry, reader) = try Self.rig(partitions: 3)
        let expected = try Examples.escalating()
        model.script([], otherwise: .status(503, body: "down"))
        try await model.serving {
            let pipeline = try pipeline(kafka, model, clock: clock, registry: registry) {
                $0.maxRetries = 0
                $0.breakerThreshold = 3
            }
            try await running([pipeline], logger: kafka.logger) {
                try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
                #expect(await reader.wait { Set($0.filter { $0["type"]?.stringValue == EventType.handoffCreated }.compactMap { $0["subject"]?.stringValue }) == expected })
            }
        }
        let created = reader.events(ofType: EventType.handoffCreated)
        #expect(created.count == expected.count)
        #expect(created.allSatisfy { $0["data"]?["summary"]?["source"]?.stringValue == "extractive" })
        // Three failures open the circuit; a second request may have been under way already (two at once).
        #expect(model.requests <= 3 + 1, "\(model.requests) requests")
        await reader.close()
    }
}
