import Foundation
import HandoffCore
import HandoffService
import Kafka
import Synchronization
import Testing

/// The whole path through Kafka on librdkafka's mock cluster, in process. Serialized: each test
/// runs its own cluster and group, and the machine has two cores.
@Suite("Pipeline on the mock cluster", .serialized)
struct PipelineIntegrationTests {
    func handedOff(_ events: [JSONValue]) -> Set<String> {
        Set(events.filter { $0["type"]?.stringValue == EventType.handoffCreated }.compactMap { $0["subject"]?.stringValue })
    }

    @Test("every example conversation arrives as expected, through Kafka")
    func fullPath() async throws {
        let kafka = try MockKafka()
        let expected = try Examples.escalating()
        let pipeline = kafka.pipeline()
        let reader = try kafka.reader()
        let arrived = try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
            // The announcements are on another topic, read apart from the handoffs: wait for both.
            return await reader.wait { events in
                handedOff(events) == expected && events.filter { $0["type"]?.stringValue == EventType.handoffAnnounced }.count >= expected.count
            }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted()), expected \(expected.sorted())")
        let created = reader.events(ofType: EventType.handoffCreated)
        #expect(created.count == expected.count, "no duplicates in a run without failures")
        #expect(reader.events(ofType: EventType.handoffAnnounced).count == expected.count)
        #expect(pipeline.statisticsSnapshot.deadLetters == 0)
        await reader.close()
    }

    @Test("malformed records of every kind go to the dead-letter topic with a reason; the good ones around them still work")
    func deadLetters() async throws {
        let kafka = try MockKafka(partitions: 1)
        let pipeline = kafka.pipeline()
        let reader = try kafka.reader()
        let good = try String(contentsOf: Examples.folder.appendingPathComponent("02-asks-for-human.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        let huge = #"{"specversion":"1.0","id":"big","source":"s","type":"support.message.customer","time":"2026-11-26T10:00:00Z","subject":"c","data":{"conversation_id":"c","message_id":"m","text":""# + String(repeating: "x", count: 300_000) + #""}}"#
        let bad: [(String?, [UInt8], [(String, [UInt8])], String)] = [
            ("c1", Array("hello".utf8), [], "not_json"),
            ("c2", Array("42".utf8), [], "not_cloudevent"),
            ("c3", Array(#"{"specversion":"1.0","id":"a","source":"s","type":"support.feedback","time":"2026-11-26T10:00:00Z","data":{"conversation_id":"c3","message_id":"m","helpful":"yes"}}"#.utf8), [], "wrong_type"),
            ("c4", Array(#"{"specversion":"1.0","id":"a","source":"s","type":"support.message.bot","time":"2026-11-26T10:00:00Z","data":{"conversation_id":"c4","message_id":"m","text":"t","sources":[],"confidence":7}}"#.utf8), [], "invalid_value"),
            ("c", Array(huge.utf8), [], "too_large"),
            ("c6", Array(#"{"conversation_id":"c6","message_id":"m"}"#.utf8), [("ce_specversion", Array("1.0".utf8)), ("ce_id", Array("b1".utf8)), ("ce_source", Array("s".utf8)), ("ce_type", Array("support.message.customer".utf8)), ("ce_time", Array("2026-11-26T10:00:00Z".utf8))], "missing_field"),
            ("c7", Array("<xml/>".utf8), [("content-type", Array("application/xml".utf8))], "unsupported_content_type"),
        ]
        let unknown = #"{"specversion":"1.0","id":"u","source":"s","type":"support.message.voice","time":"2026-11-26T10:00:00Z","data":{}}"#
        var records: [(key: String?, value: [UInt8], headers: [(String, [UInt8])])] = [(nil, Array(good[0].utf8), [])]
        records += bad.map { ($0.0, $0.1, $0.2) }
        records.append(("u", Array(unknown.utf8), []))
        records += good.dropFirst().map { ("conv-human-002", Array($0.utf8), []) }
        let published = records
        let arrived = try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(published)
            return await reader.wait { events in
                events.filter { $0["type"]?.stringValue == EventType.deadLetter }.count == bad.count && handedOff(events).contains("conv-human-002")
            }
        }
        #expect(arrived)
        let letters = reader.events(ofType: EventType.deadLetter)
        #expect(letters.compactMap { $0["data"]?["reason_code"]?.stringValue } == bad.map(\.3))
        for (letter, record) in zip(letters, bad) {
            #expect(letter["data"]?["original_sha256"]?.stringValue == SHA256.hex(record.1))
            #expect(letter["data"]?["original_length"]?.numberValue == Double(record.1.count))
            #expect(letter["data"]?["source_topic"]?.stringValue == kafka.topics.conversations)
            let reason = letter["data"]?["reason"]?.stringValue ?? ""
            #expect(!reason.isEmpty)
        }
        let tooLarge = try #require(letters.first { $0["data"]?["reason_code"]?.stringValue == "too_large" })
        #expect(tooLarge["data"]?["truncated"] == .bool(true))
        #expect(pipeline.statisticsSnapshot.unknownTypes == 1, "the unknown type is skipped, not dead-lettered")
        await reader.close()
    }

    @Test("a broker going down and up loses nothing")
    func brokerDownAndUp() async throws {
        let kafka = try MockKafka(brokers: 1)
        let expected = try Examples.escalating()
        let pipeline = kafka.pipeline()
        let reader = try kafka.reader()
        let lines = Examples.interleaved(try Examples.conversations())
        let half = lines.count / 2
        let arrived = try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: Array(lines[..<half]))
            try await Task.sleep(for: .milliseconds(300))
            kafka.cluster.setBroker(1, up: false)
            try await Task.sleep(for: .seconds(3))
            kafka.cluster.setBroker(1, up: true)
            try await kafka.publish(lines: Array(lines[half...]))
            return await reader.wait(timeout: .seconds(90)) { handedOff($0) == expected }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        await reader.close()
    }

    @Test("a broker down for 30 s, and partition leaders moving between brokers while records flow: nothing lost, processing resumes by itself")
    func longOutageAndLeaderMoves() async throws {
        let kafka = try MockKafka(brokers: 3, partitions: 3)
        let expected = try Examples.escalating()
        let pipeline = kafka.pipeline(group: "g-outage")
        let reader = try kafka.reader()
        let lines = Examples.interleaved(try Examples.conversations())
        let third = lines.count / 3
        let outputsBefore = Mutex(0)
        let arrived = try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: Array(lines[..<third]))
            // Leaders move while the first third is processed.
            for round in 0..<3 {
                for partition in Int32(0)..<3 {
                    for topic in [kafka.topics.conversations, kafka.topics.handoffs, kafka.topics.directives] {
                        kafka.cluster.setLeader(topic: topic, partition: partition, broker: (partition + Int32(round)) % 3 + 1)
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            try await kafka.publish(lines: Array(lines[third..<(2 * third)]))
            // Every broker down for 30 s: the group coordinator and every leader gone.
            outputsBefore.withLock { $0 = pipeline.statisticsSnapshot.outputs }
            for broker in Int32(1)...3 { kafka.cluster.setBroker(broker, up: false) }
            try await Task.sleep(for: .seconds(30))
            for broker in Int32(1)...3 { kafka.cluster.setBroker(broker, up: true) }
            try await kafka.publish(lines: Array(lines[(2 * third)...]))
            return await reader.wait(timeout: .seconds(120)) { handedOff($0) == expected }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        #expect(pipeline.statisticsSnapshot.records >= lines.count, "every record processed")
        #expect(pipeline.statisticsSnapshot.outputs > outputsBefore.withLock { $0 }, "processing went on after the outage")
        var ids: [String: Set<String>] = [:]
        for event in reader.events(ofType: EventType.handoffCreated) {
            ids[event["subject"]?.stringValue ?? "", default: []].insert(event["data"]?["handoff_id"]?.stringValue ?? "")
        }
        #expect(ids.values.allSatisfy { $0.count == 1 }, "re-emissions keep their ids")
        await reader.close()
    }

    @Test("injected Produce and OffsetCommit errors are retried; nothing is lost")
    func injectedErrors() async throws {
        let kafka = try MockKafka(partitions: 1)
        let expected = try Examples.escalating()
        let pipeline = kafka.pipeline()
        let reader = try kafka.reader()
        let arrived = try await running([pipeline], logger: kafka.logger) {
            // 6 NOT_LEADER_FOR_PARTITION, 7 REQUEST_TIMED_OUT on Produce (API 0); 15 COORDINATOR_NOT_AVAILABLE on OffsetCommit (API 8).
            kafka.cluster.failNextRequests(apiKey: 0, errors: [6, 7, 6, 7, 6])
            kafka.cluster.failNextRequests(apiKey: 8, errors: [15, 15, 15])
            try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
            return await reader.wait { handedOff($0) == expected }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        await reader.close()
    }

    @Test("offsets are committed after the outputs: a restarted instance in the same group does not emit again")
    func committedAfterOutputs() async throws {
        let kafka = try MockKafka()
        let expected = try Examples.escalating()
        let reader = try kafka.reader()
        let first = kafka.pipeline(group: "g-restart")
        _ = try await running([first], logger: kafka.logger) {
            try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
            return await reader.wait { handedOff($0) == expected }
        }
        let second = kafka.pipeline(group: "g-restart")
        try await running([second], logger: kafka.logger) {
            // One more conversation; only its outputs may appear.
            let late = #"{"specversion":"1.0","id":"late-1","source":"s","type":"support.handoff.requested","time":"2026-11-26T12:00:00Z","subject":"conv-late","data":{"conversation_id":"conv-late"}}"#
            try await kafka.publish(lines: [late])
            #expect(await reader.wait { handedOff($0).contains("conv-late") })
        }
        #expect(second.statisticsSnapshot.records == 1, "the restarted instance processed only the new record")
        #expect(second.statisticsSnapshot.outputs == 3, "created, announced, paused for the late conversation and nothing else")
        #expect(reader.events(ofType: EventType.handoffCreated).count == expected.count + 1)
        await reader.close()
    }

    @Test("two instances in one group share the partitions; every handoff arrives, re-emissions keep their ids")
    func rebalance() async throws {
        let kafka = try MockKafka(partitions: 4)
        let expected = try Examples.escalating()
        let reader = try kafka.reader()
        let conversations = try Examples.conversations()
        let first = kafka.pipeline(group: "g-shared")
        let second = kafka.pipeline(group: "g-shared")
        let arrived = try await running([first], logger: kafka.logger) {
            try await kafka.publish(lines: Examples.interleaved(Array(conversations[..<6])))
            _ = await reader.wait(timeout: .seconds(30)) { !handedOff($0).isEmpty }
            return try await running([second], logger: kafka.logger) {
                try await Task.sleep(for: .seconds(1))
                try await kafka.publish(lines: Examples.interleaved(Array(conversations[6...])))
                return await reader.wait(timeout: .seconds(90)) { handedOff($0).isSuperset(of: expected) }
            }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        var idsByConversation: [String: Set<String>] = [:]
        for event in reader.events(ofType: EventType.handoffCreated) {
            idsByConversation[event["subject"]?.stringValue ?? "", default: []].insert(event["data"]?["handoff_id"]?.stringValue ?? "")
        }
        #expect(idsByConversation.values.allSatisfy { $0.count == 1 }, "\(idsByConversation)")
        #expect(first.statisticsSnapshot.records + second.statisticsSnapshot.records >= conversations.map(\.count).reduce(0, +))
        await reader.close()
    }
}

@Suite("Policy reload on the mock cluster", .serialized)
struct PolicyReloadTests {
    @Test("a reloaded policy decides the next records, and its version is on the handoff")
    func reload() async throws {
        let kafka = try MockKafka(partitions: 1)
        let pipeline = kafka.pipeline(group: "g-reload")
        let reader = try kafka.reader()
        var policy = EscalationPolicy()
        policy.version = "reloaded-v2"
        policy.explicitRequest.enabled = false
        let reloaded = policy
        @Sendable func event(_ conversation: String, _ id: String, _ type: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"s","type":"\#(type)","time":"2026-11-26T10:00:00Z","subject":"\#(conversation)","data":{"conversation_id":"\#(conversation)"\#(data)}}"#
        }
        try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: [event("conv-before", "b1", "support.handoff.requested", "")])
            #expect(await reader.wait { events in events.contains { $0["subject"]?.stringValue == "conv-before" } })
            pipeline.reload(policy: reloaded)
            try await kafka.publish(lines: [
                event("conv-after", "a1", "support.handoff.requested", ""),
                event("conv-legal", "l1", "support.message.customer", #","message_id":"m1","text":"my lawyer will sue you""#),
            ])
            #expect(await reader.wait { events in events.contains { $0["subject"]?.stringValue == "conv-legal" && $0["type"]?.stringValue == EventType.handoffCreated } })
        }
        let created = reader.events(ofType: EventType.handoffCreated)
        #expect(created.compactMap { $0["subject"]?.stringValue }.sorted() == ["conv-before", "conv-legal"], "the button no longer hands over after the reload")
        #expect(created.first { $0["subject"]?.stringValue == "conv-legal" }?["data"]?["policy_version"]?.stringValue == "reloaded-v2")
        #expect(created.first { $0["subject"]?.stringValue == "conv-before" }?["data"]?["policy_version"]?.stringValue == "default")
        await reader.close()
    }
}

@Suite("Outputs the broker refuses", .serialized)
struct UndeliverableOutputTests {
    @Test("a handoff larger than the producer may send is dead-lettered with the reason; the partition goes on")
    func tooLargeOutput() async throws {
        let kafka = try MockKafka(partitions: 1)
        var configuration = HandoffdConfiguration()
        configuration.deadLetterMaxBytes = 100
        var properties = kafka.configuration(group: "g-too-large")
        properties["message.max.bytes"] = "1500"
        let pipeline = HandoffPipeline(configuration: configuration, kafka: properties, logger: kafka.logger)
        let reader = try kafka.reader()
        func event(_ conversation: String, _ id: String, _ text: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"s","type":"support.message.customer","time":"2026-11-26T10:00:00Z","subject":"\#(conversation)","data":{"conversation_id":"\#(conversation)","message_id":"\#(id)","text":"\#(text)"}}"#
        }
        let long = String(repeating: "The parcel with my new kettle never arrived. ", count: 20) + "Can I talk to a person please"
        let lines = [event("conv-big", "b1", long), event("conv-next", "n1", "I want to speak to a human")]
        try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: lines)
            #expect(await reader.wait { events in
                events.contains { $0["type"]?.stringValue == EventType.deadLetter }
                    && events.contains { $0["type"]?.stringValue == EventType.handoffCreated && $0["subject"]?.stringValue == "conv-next" }
                    && events.filter { $0["type"]?.stringValue == EventType.botPaused }.count == 2
            })
        }
        let letters = reader.events(ofType: EventType.deadLetter)
        #expect(letters.count == 1, "only the big handoff is refused; the short one fits")
        let letter = try #require(letters.first?["data"])
        #expect(letter["reason_code"]?.stringValue == "undeliverable")
        #expect(letter["event_type"]?.stringValue == EventType.handoffCreated)
        #expect(letter["reason"]?.stringValue?.contains("support.handoffs") == true)
        #expect(letter["key"]?.stringValue == "conv-big")
        #expect(letter["offset"]?.intValue == 0, "it names the input record that caused it")
        #expect(reader.events(ofType: EventType.botPaused).count == 2, "the smaller directives of both handoffs still went out")
        await reader.close()
    }
}

@Suite("Durable conversation state on the mock cluster", .serialized)
struct ChangelogTests {
    /// A conversation whose third unsuccessful reply arrives after a restart.
    func lines(_ conversation: String) -> (before: [String], after: [String]) {
        func event(_ n: Int, _ type: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"\#(conversation)-e\#(n)","source":"s","type":"\#(type)","time":"2026-11-26T10:0\#(n):00Z","subject":"\#(conversation)","data":{"conversation_id":"\#(conversation)"\#(data)}}"#
        }
        let before = [
            event(0, EventType.conversationStarted, ##","customer_id":"x","channel":"web","locale":"en""##),
            event(1, EventType.customerMessage, ##","message_id":"m1","text":"where is my parcel""##),
            event(2, EventType.botMessage, ##","message_id":"m2","text":"Parcels take 3 to 5 days.","sources":["kb"],"confidence":0.9"##),
            event(3, EventType.feedback, ##","message_id":"m2","helpful":false"##),
            event(4, EventType.botMessage, ##","message_id":"m4","text":"You can follow the tracking link.","sources":["kb"],"confidence":0.9"##),
            event(5, EventType.feedback, ##","message_id":"m4","helpful":false"##),
        ]
        let after = [
            event(6, EventType.botMessage, ##","message_id":"m6","text":"Deliveries can be slower in winter.","sources":["kb"],"confidence":0.9"##),
            event(7, EventType.feedback, ##","message_id":"m6","helpful":false"##),
        ]
        return (before, after)
    }

    /// The changelog's records about `conversation`, on every partition.
    func stored(_ conversation: String, in kafka: MockKafka, partitions: Int32 = 2) async throws -> Int {
        try await KafkaConsumer.readToEnd(configuration: KafkaConfiguration(brokers: kafka.brokers),
                                          partitions: (0..<partitions).map { TopicPartition(topic: kafka.topics.changelog, partition: $0) },
                                          logger: kafka.logger).filter { $0.keyString == conversation }.count
    }

    func offered(_ events: [JSONValue]) -> Bool { events.contains { $0["type"]?.stringValue == EventType.escalationOffered } }
    func handedOff(_ events: [JSONValue]) -> Bool { events.contains { $0["type"]?.stringValue == EventType.handoffCreated } }

    func evidence(_ reader: OutputReader) -> Int {
        let handoff = reader.events(ofType: EventType.handoffCreated).first?["data"]
        return handoff?["reasons"]?.arrayValue?.first { $0["code"]?.stringValue == "repeated_failures" }?["evidence"]?.arrayValue?.count ?? 0
    }

    func run(changelog: Bool, interval: Duration? = nil) async throws -> (handedOff: Bool, evidence: Int, restoredLogged: Bool, storedDuring: Int, storedAfter: Int) {
        let kafka = try MockKafka(partitions: 2)
        try kafka.cluster.createTopic(HandoffdConfiguration.Topics().changelog, partitions: 2)
        var configuration = HandoffdConfiguration()
        configuration.processing.changelog = changelog
        if let interval { configuration.processing.changelogInterval = interval }
        let group = "g-changelog-\(changelog)-\(interval.map { "\($0)" } ?? "default")"
        let reader = try kafka.reader()
        let script = lines("conv-durable")
        let first = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: group), logger: kafka.logger)
        let storedDuring = try await running([first], logger: kafka.logger) {
            try await kafka.publish(lines: script.before)
            #expect(await reader.wait(until: { offered($0) }), "offered after two failures")
            return try await stored("conv-durable", in: kafka)
        }
        let storedAfter = try await stored("conv-durable", in: kafka)
        // A new instance takes over the partitions: only what the changelog kept is known.
        let second = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: group), logger: kafka.logger)
        let escalated = try await running([second], logger: kafka.logger) {
            try await kafka.publish(lines: script.after)
            return await reader.wait(timeout: .seconds(changelog ? 60 : 10), until: { handedOff($0) })
        }
        let found = evidence(reader)
        await reader.close()
        return (escalated, found, second.healthSnapshot.restoring == false, storedDuring, storedAfter)
    }

    @Test("with the changelog, a conversation's third unsuccessful reply after a restart hands over, as without a restart")
    func survivesRestart() async throws {
        let outcome = try await run(changelog: true)
        #expect(outcome.handedOff)
        #expect(outcome.evidence == 3, "all three unsuccessful replies are the evidence")
    }

    @Test("without it, the new instance starts the count afresh (the test can tell the difference)")
    func forgetsWithout() async throws {
        let outcome = try await run(changelog: false)
        #expect(!outcome.handedOff)
    }

    @Test("a window's records change a conversation's stored state once, when the window ends (here: at shutdown)")
    func oneWritePerWindow() async throws {
        let outcome = try await run(changelog: true, interval: .seconds(120))
        #expect(outcome.storedDuring == 0, "nothing is stored before the window ends")
        #expect(outcome.storedAfter == 1, "six records of one conversation, one state")
        #expect(outcome.handedOff)
        #expect(outcome.evidence == 3)
    }

    @Test("a rebalance ends the window: the next owner gets the state of conversations in progress at once, not after the interval")
    func revocationEndsWindow() async throws {
        let kafka = try MockKafka(partitions: 2)
        try kafka.cluster.createTopic(kafka.topics.changelog, partitions: 2)
        var configuration = HandoffdConfiguration()
        configuration.processing.changelog = true
        configuration.processing.changelogInterval = .seconds(120)
        let reader = try kafka.reader()
        let script = lines("conv-moving")
        let first = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-window-rebalance"), logger: kafka.logger)
        let second = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-window-rebalance"), logger: kafka.logger)
        let (storedAtRebalance, escalated) = try await running([first], logger: kafka.logger) {
            try await kafka.publish(lines: script.before)
            #expect(await reader.wait(until: { offered($0) }))
            #expect(try await stored("conv-moving", in: kafka) == 0)
            return try await running([second], logger: kafka.logger) {
                // The second instance joining revokes the first one's partitions. Giving up on a revocation
                // takes processing.shutdown_timeout (30 s): the state must be there well before that.
                let joined = ContinuousClock.now
                var count = 0
                while count == 0 && ContinuousClock.now - joined < .seconds(20) {
                    try await Task.sleep(for: .milliseconds(500))
                    count = try await stored("conv-moving", in: kafka)
                }
                try await kafka.publish(lines: script.after)
                return (count, await reader.wait(timeout: .seconds(60), until: { handedOff($0) }))
            }
        }
        #expect(storedAtRebalance == 1)
        #expect(escalated)
        #expect(evidence(reader) == 3, "whichever instance owns it now knew the first two failures")
        await reader.close()
    }
}

@Suite("Changelog start-up checks on the mock cluster", .serialized)
struct ChangelogCheckTests {
    func start(changelogPartitions: Int?) async throws -> String? {
        let kafka = try MockKafka(partitions: 3)
        if let changelogPartitions { try kafka.cluster.createTopic(HandoffdConfiguration.Topics().changelog, partitions: changelogPartitions) }
        var configuration = HandoffdConfiguration()
        configuration.processing.changelog = true
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-check"), logger: kafka.logger)
        do {
            try await running([pipeline], logger: kafka.logger) { try await Task.sleep(for: .seconds(1)) }
            return nil
        } catch let error as KafkaError {
            #expect(error.code == .configuration)
            return error.message
        }
    }

    @Test("a missing changelog stops start-up with what to do")
    func missing() async throws {
        let message = try #require(try await start(changelogPartitions: nil))
        // A real broker without auto-creation says the topic does not exist; the mock cluster creates
        // it on the metadata request with its default 4 partitions, which the co-partitioning check refuses.
        #expect((message.contains("does not exist") && message.contains("cleanup.policy=compact")) || message.contains("has 4 partitions but"), "\(message)")
    }

    @Test("a changelog with another partition count stops start-up")
    func notCoPartitioned() async throws {
        let message = try #require(try await start(changelogPartitions: 2))
        #expect(message.contains("2 partitions") && message.contains("has 3"))
    }

    @Test("a co-partitioned changelog starts (the mock cannot say whether it is compacted: a warning only)")
    func coPartitioned() async throws {
        #expect(try await start(changelogPartitions: 3) == nil)
    }
}
