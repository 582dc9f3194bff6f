import Foundation
import HandoffCore
import HandoffService
import Kafka
import Logging
import Synchronization
import Testing

/// Exactly-once mode on the mock cluster. The mock of librdkafka 2.0.2 runs transactions, aborts and
/// fencing, but accepts transactional offset commits without storing them and shows aborted records to
/// `read_committed` readers: what a crash between produce and commit leaves is checked on Tansu
/// (Tests/e2e/test_exactly_once.py).
@Suite("Exactly once on the mock cluster", .serialized)
struct ExactlyOnceTests {
    func handedOff(_ events: [JSONValue]) -> Set<String> {
        Set(events.filter { $0["type"]?.stringValue == EventType.handoffCreated }.compactMap { $0["subject"]?.stringValue })
    }

    func idsByConversation(_ events: [JSONValue]) -> [String: Set<String>] {
        var ids: [String: Set<String>] = [:]
        for event in events where event["type"]?.stringValue == EventType.handoffCreated {
            ids[event["subject"]?.stringValue ?? "", default: []].insert(event["data"]?["handoff_id"]?.stringValue ?? "")
        }
        return ids
    }

    func setUp(partitions: Int = 3) throws -> (MockKafka, HandoffdConfiguration) {
        let kafka = try MockKafka(partitions: partitions)
        try kafka.cluster.createTopic(HandoffdConfiguration.Topics().changelog, partitions: partitions)
        var configuration = HandoffdConfiguration()
        configuration.processing.changelog = true
        configuration.processing.guarantee = .exactlyOnce
        configuration.instance = "eos-test"
        return (kafka, configuration)
    }

    @Test("every handoff arrives through transactions")
    func throughTransactions() async throws {
        let (kafka, configuration) = try setUp()
        let expected = try Examples.escalating()
        let reader = try kafka.reader()
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-eos"), logger: kafka.logger)
        let arrived = try await running([pipeline], logger: kafka.logger) {
            try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
            return await reader.wait { handedOff($0) == expected }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        #expect(pipeline.statisticsSnapshot.transactionsCommitted > 0)
        #expect(pipeline.statisticsSnapshot.transactionsAborted == 0)
        #expect(idsByConversation(reader.events).values.allSatisfy { $0.count == 1 })
        await reader.close()
    }

    @Test("an injected crash stops the pipeline with its outputs on the broker and the transaction open")
    func injectedCrash() async throws {
        let (kafka, configuration) = try setUp()
        let reader = try kafka.reader()
        try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
        let crashing = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-eos-crash"), logger: kafka.logger,
                                       faults: FaultInjection(crashBeforeCommit: { outputs in outputs >= 4 }))
        await #expect(throws: InjectedCrash.self) { try await crashing.run() }
        #expect(await reader.wait(timeout: .seconds(20)) { !handedOff($0).isEmpty }, "the uncommitted outputs were flushed to the broker")
        await reader.close()
    }

    @Test("injected transaction errors: retried where librdkafka can, aborted and consumed again where not; nothing is lost")
    func injectedTransactionErrors() async throws {
        let (kafka, configuration) = try setUp(partitions: 1)
        let expected = try Examples.escalating()
        let reader = try kafka.reader()
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-eos-faults"), logger: kafka.logger)
        let arrived = try await running([pipeline], logger: kafka.logger) {
            // 29 TOPIC_AUTHORIZATION_FAILED on AddPartitionsToTxn (API 24): the transaction must be aborted.
            // 15 COORDINATOR_NOT_AVAILABLE on EndTxn (26) and TxnOffsetCommit (28): retried by librdkafka.
            // 7 REQUEST_TIMED_OUT on Produce (0): retried.
            kafka.cluster.failNextRequests(apiKey: 24, errors: [29])
            kafka.cluster.failNextRequests(apiKey: 26, errors: [15, 15])
            kafka.cluster.failNextRequests(apiKey: 28, errors: [15])
            kafka.cluster.failNextRequests(apiKey: 0, errors: [7, 7])
            try await kafka.publish(lines: Examples.interleaved(try Examples.conversations()))
            return await reader.wait { handedOff($0) == expected }
        }
        #expect(arrived, "handed off: \(handedOff(reader.events).sorted())")
        #expect(pipeline.statisticsSnapshot.transactionsAborted >= 1, "the refused transaction was aborted")
        #expect(idsByConversation(reader.events).values.allSatisfy { $0.count == 1 })
        await reader.close()
    }

    @Test("the records of an aborted round are observed once: the quality gates count them again in place of the first time")
    func abortedRoundObservedOnce() async throws {
        var (kafka, configuration) = try setUp(partitions: 1)
        // Fires when any of the five dead letters is counted twice (six samples or more), not on five counted once.
        configuration.qualityGates = [QualityGate(name: "dead-letters", signal: .deadLetterRate, direction: .above, threshold: 0.5, clear: 0.1,
                                                  window: 3_600_000, minimumSamples: 6)]
        let reader = try kafka.reader(of: [kafka.topics.deadLetter, kafka.topics.alerts])
        try await kafka.publish(lines: (1...5).map { "not json \($0)" })
        // The first round (one to five of the dead letters) is refused (AddPartitionsToTxn), aborted and consumed again.
        kafka.cluster.failNextRequests(apiKey: 24, errors: [29])
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-eos-observed"), logger: kafka.logger)
        let consumedTwice = try await running([pipeline], logger: kafka.logger) {
            // Some records processed in the aborted round, all five in committed ones.
            let arrived = await reader.wait { _ in
                let statistics = pipeline.statisticsSnapshot
                return statistics.records >= 6 && statistics.deadLetters >= 6 && statistics.transactionsAborted >= 1 && statistics.transactionsCommitted >= 1
            }
            // An alert would be in the transaction of the committed dead letters; this reads on a little beyond them.
            _ = await reader.wait(timeout: .seconds(3)) { _ in false }
            return arrived
        }
        #expect(consumedTwice, "\(pipeline.statisticsSnapshot)")
        #expect(!reader.events(ofType: EventType.deadLetter).isEmpty)
        #expect(reader.events(ofType: EventType.qualityAlert).isEmpty, "the gate counted the aborted round's records as well")
        await reader.close()
    }

    @Test("exactly once without the changelog is refused at start-up, with what to set")
    func needsChangelog() throws {
        #expect(throws: ConfigurationError.self) {
            try HandoffdConfiguration.parse(yaml: "processing:\n  guarantee: exactly_once\n")
        }
        let configuration = try HandoffdConfiguration.parse(yaml: "processing:\n  guarantee: exactly_once\n  changelog: true\n  transactional_id: handoffd-a\n")
        #expect(configuration.processing.guarantee == .exactlyOnce)
        #expect(configuration.processing.transactionalID == "handoffd-a")
        do {
            _ = try HandoffdConfiguration.parse(yaml: "processing:\n  guarantee: twice\n")
            Issue.record("an unknown guarantee was accepted")
        } catch {
            #expect("\(error)".contains("at_least_once, exactly_once"))
        }
    }
}
